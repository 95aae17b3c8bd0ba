from django.urls import include, path

urlpatterns = [
    # Discovery lives under the FHIR base (the `iss`), so it is matched before the FHIR routes.
    path("fhir/", include("smartapp.sandbox.auth.discovery_urls")),
    path("fhir/", include("smartapp.sandbox.fhir.urls")),
    path("auth/", include("smartapp.sandbox.auth.urls")),
    path("", include("smartapp.sandbox.simulator.urls")),
]
