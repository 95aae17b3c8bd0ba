from django.urls import path

from smartapp.sandbox.auth import discovery

app_name = "sandbox_discovery"

urlpatterns = [
    path(".well-known/smart-configuration", discovery.smart_configuration, name="smart-configuration"),
    path(".well-known/openid-configuration", discovery.openid_configuration, name="openid-configuration"),
]
