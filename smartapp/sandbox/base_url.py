"""The sandbox's public URLs, built from the request (the sandbox answers on whatever host it is reached)."""

FHIR_PATH = "/sandbox/fhir"
AUTH_PATH = "/sandbox/auth"


def fhir_base(request) -> str:
    """The FHIR base URL, which is also the sandbox's `iss` and the required `aud`: no trailing slash."""
    return request.build_absolute_uri(FHIR_PATH)


def auth_url(request, endpoint: str) -> str:
    """An authorization-server URL, e.g. auth_url(request, "token/")."""
    return request.build_absolute_uri(f"{AUTH_PATH}/{endpoint}")


def same_base(a: str, b: str) -> bool:
    """True when two FHIR base URLs are the same, ignoring one trailing slash."""
    return a.rstrip("/") == b.rstrip("/")
