"""The sandbox's public URLs, built from the request (the sandbox answers on whatever host it is reached).

Each vendor emulation (smartapp/sandbox/vendors/) has its own FHIR base and authorization paths, shaped
like that vendor's; the URL routes (smartapp/sandbox/urls.py) pass `vendor` and `tenant`, which `bind`
records on the request and in its META (META travels to oauthlib as the request's headers).
"""

from functools import wraps

VENDOR_KEY = "SANDBOX_VENDOR"
TENANT_KEY = "SANDBOX_TENANT"
FHIR_PATH = "/sandbox/fhir"
AUTH_PATH = "/sandbox/auth"
_OTHER_LOOPBACK = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}

# vendor -> (FHIR base path, authorization path); "{tenant}" is the tenant id of a tenant-scoped base.
PATHS = {
    "": (FHIR_PATH, AUTH_PATH),
    "epic": ("/sandbox/epic/api/FHIR/R4", "/sandbox/epic/oauth2"),
    "oracle": ("/sandbox/oracle/r4/{tenant}", "/sandbox/oracle/tenants/{tenant}/protocols/oauth2"),
    "athena": ("/sandbox/athena/fhir/r4", "/sandbox/athena/oauth2"),
    "meditech": ("/sandbox/meditech/v2/uscore/R4", "/sandbox/meditech/oauth"),
}
# Vendors whose authorization server lives on another host than the FHIR base (Oracle: its FHIR base is on
# fhir-ehr.cerner.com, authorization on authorization.cerner.com, https://fhir.cerner.com/authorization/).
SEPARATE_AUTH_HOST = frozenset({"oracle"})


def bind(request, vendor: str = "", tenant: str = "") -> None:
    """Record which vendor base (and tenant) a request came to."""
    request.sandbox_vendor, request.sandbox_tenant = vendor, tenant
    request.META[VENDOR_KEY], request.META[TENANT_KEY] = vendor, tenant


def vendor_of(request) -> tuple[str, str]:
    """(vendor, tenant) of the base the request came to; ("", "") for the plain sandbox."""
    return request.META.get(VENDOR_KEY, ""), request.META.get(TENANT_KEY, "")


def fhir_base(request) -> str:
    """The FHIR base URL, which is also the sandbox's `iss` and the required `aud`: no trailing slash."""
    vendor, tenant = vendor_of(request)
    return vendor_fhir_base(request, vendor, tenant)


def vendor_fhir_base(request, vendor: str, tenant: str = "") -> str:
    """The FHIR base of `vendor` (and `tenant`) on the host the request came to."""
    path = PATHS[vendor][0].format(tenant=tenant)
    return f"{request.scheme}://{_fhir_host(request, vendor)}{path}"


def auth_url(request, endpoint: str) -> str:
    """An authorization-server URL of the request's vendor, e.g. auth_url(request, "token/")."""
    vendor, tenant = vendor_of(request)
    return vendor_auth_url(request, vendor, tenant, endpoint)


def vendor_auth_url(request, vendor: str, tenant: str, endpoint: str) -> str:
    path = PATHS[vendor][1].format(tenant=tenant)
    host = request.get_host()
    if vendor in SEPARATE_AUTH_HOST and _is_fhir_host(request, vendor):
        host = other_loopback_host(host)
    return f"{request.scheme}://{host}{path}/{endpoint}"


def other_loopback_host(host: str) -> str:
    """The same server by its other loopback name (127.0.0.1 <-> localhost), same port; a host with no
    other loopback name (::1, a real name) is kept: the emulation then shares one host (assumption)."""
    name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not colon:
        name, port = host, ""
    other = _OTHER_LOOPBACK.get(name)
    if other is None:
        return host
    return f"{other}:{port}" if port else other


def _fhir_host(request, vendor: str) -> str:
    """The FHIR host: for a vendor with a separate authorization host, a request that came to that
    authorization host names the FHIR base on the other loopback name."""
    host = request.get_host()
    if vendor in SEPARATE_AUTH_HOST and not _is_fhir_host(request, vendor):
        return other_loopback_host(host)
    return host


def _is_fhir_host(request, vendor: str) -> bool:
    """False only for a request that came to the vendor's authorization paths."""
    auth_prefix = PATHS[vendor][1].split("{tenant}")[0]
    path = getattr(request, "path", "") or request.META.get("PATH_INFO", "")
    return not path.startswith(auth_prefix)


def same_base(a: str, b: str) -> bool:
    """True when two FHIR base URLs are the same, ignoring one trailing slash."""
    return a.rstrip("/") == b.rstrip("/")


def bound(view):
    """Wrap an auth or discovery view so that the `vendor` and `tenant` its URL route passes are recorded
    on the request (see `bind`) instead of reaching the view; the plain routes pass neither."""

    @wraps(view)
    def handle(request, *args, vendor: str = "", tenant: str = "", **kwargs):
        bind(request, vendor, tenant)
        return view(request, *args, **kwargs)

    return handle
