from django.urls import path

from smartapp.sandbox.auth import discovery
from smartapp.sandbox.base_url import bound

app_name = "sandbox_discovery"

urlpatterns = [
    path(".well-known/smart-configuration", bound(discovery.smart_configuration), name="smart-configuration"),
    path(
        ".well-known/openid-configuration", bound(discovery.openid_configuration), name="openid-configuration"
    ),
]
