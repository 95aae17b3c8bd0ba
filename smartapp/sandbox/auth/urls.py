from django.urls import path
from oauth2_provider.views import JwksInfoView

from smartapp.sandbox.auth import authorize, discovery, signin, token

app_name = "sandbox_auth"

urlpatterns = [
    path("authorize/", authorize.SmartAuthorizationView.as_view(), name="authorize"),
    path("token/", token.SmartTokenView.as_view(), name="token"),
    path("introspect/", token.SmartIntrospectView.as_view(), name="introspect"),
    path("revoke/", token.SmartRevokeTokenView.as_view(), name="revoke"),
    path("jwks/", JwksInfoView.as_view(), name="jwks"),
    path("smart-style.json", discovery.smart_style, name="smart-style"),
    path("login/", signin.login, name="login"),
    path("logout/", signin.logout, name="logout"),
]
