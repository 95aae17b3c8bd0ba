from django.urls import include, path, re_path

# An Oracle tenant id: any UUID-shaped value is a tenant (https://fhir.cerner.com/millennium/r4/).
_TENANT = r"(?P<tenant>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"

# Each vendor emulation (smartapp/sandbox/vendors/): its FHIR base (discovery first, as on the plain base)
# and its authorization server, shaped like the vendor's own; smartapp/sandbox/base_url.py builds the
# same URLs.
_VENDOR_BASES = [
    ("epic", r"^epic/api/FHIR/R4/", r"^epic/oauth2/"),
    ("oracle", rf"^oracle/r4/{_TENANT}/", rf"^oracle/tenants/{_TENANT}/protocols/oauth2/"),
    ("athena", r"^athena/fhir/r4/", r"^athena/oauth2/"),
    ("meditech", r"^meditech/v2/uscore/R4/", r"^meditech/oauth/"),
]


def _vendor_routes(vendor: str, fhir: str, auth: str) -> list:
    kwargs = {"vendor": vendor}
    return [
        re_path(
            fhir,
            include("smartapp.sandbox.auth.discovery_urls", namespace=f"sandbox_discovery_{vendor}"),
            kwargs,
        ),
        re_path(fhir, include("smartapp.sandbox.fhir.urls", namespace=f"sandbox_fhir_{vendor}"), kwargs),
        re_path(auth, include("smartapp.sandbox.auth.urls", namespace=f"sandbox_auth_{vendor}"), kwargs),
    ]


urlpatterns = [
    # Discovery lives under the FHIR base (the `iss`), so it is matched before the FHIR routes.
    path("fhir/", include("smartapp.sandbox.auth.discovery_urls")),
    path("fhir/", include("smartapp.sandbox.fhir.urls")),
    path("auth/", include("smartapp.sandbox.auth.urls")),
    *[route for vendor, fhir, auth in _VENDOR_BASES for route in _vendor_routes(vendor, fhir, auth)],
    path("", include("smartapp.sandbox.simulator.urls")),
]
