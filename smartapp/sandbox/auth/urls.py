from django.urls import path
from oauth2_provider.views import JwksInfoView

from smartapp.sandbox.auth import authorize, discovery, signin, token
from smartapp.sandbox.base_url import bound

app_name = "sandbox_auth"

# Also served under each vendor emulation's authorization path (smartapp/sandbox/urls.py), which passes
# `vendor` (and `tenant`): `bound` records them on the request.
urlpatterns = [
    path("authorize/", bound(authorize.SmartAuthorizationView.as_view()), name="authorize"),
    path("token/", bound(token.SmartTokenView.as_view()), name="token"),
    path("introspect/", bound(token.SmartIntrospectView.as_view()), name="introspect"),
    path("revoke/", bound(token.SmartRevokeTokenView.as_view()), name="revoke"),
    path("jwks/", bound(JwksInfoView.as_view()), name="jwks"),
    path("smart-style.json", bound(discovery.smart_style), name="smart-style"),
    path("login/", bound(signin.login), name="login"),
    path("logout/", bound(signin.logout), name="logout"),
]
