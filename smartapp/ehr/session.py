"""The guarded outgoing session for the authorization side, and how its answers are read.

Discovery, JWKS, token and revocation requests all go through `ehr_session`: the egress allow-list of the
enabled registrations' origins, timeouts, retries that never resend a POST that reached the server, and
no redirects: a 3xx is refused (`refuse_redirect`), never followed to wherever it points. Bodies are
parsed by smartapp.ehr.bounded_json (size and depth bounded).
"""

import logging
from contextlib import contextmanager

import requests

from smartapp.core.http import EgressRefused, outgoing_session
from smartapp.ehr import bounded_json, configs
from smartapp.ehr.errors import EhrBadResponse, EhrRedirected, EhrUnavailable, LaunchRejected

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 8 * 1024 * 1024  # a CapabilityStatement can be large (Epic's is several hundred kB)
MAX_RETRY_AFTER = 900.0
_CHUNK = 64 * 1024


def ehr_session(**kwargs) -> requests.Session:
    """`core.http.outgoing_session` limited to the origins of the enabled registrations."""
    return outgoing_session(configs.allowed_origins(), **kwargs)


def refuse_redirect(response: requests.Response, what: str) -> None:
    """EhrBadResponse (a fixed message) for a 3xx: following it would send the request where the EHR
    chooses (another EHR's endpoints, an internal address). `what` names the request in the log only."""
    if 300 <= response.status_code < 400:
        log.warning("%s: the EHR answered %s (a redirect); refused", what, response.status_code)
        raise EhrRedirected()


@contextmanager
def launch_transport_errors():
    """Map transport failures of a launch-time request to the typed errors (requests' messages carry URLs)."""
    try:
        yield
    except EgressRefused:
        raise LaunchRejected(reason="egress_refused") from None
    except (requests.Timeout, requests.ConnectionError):
        raise EhrUnavailable() from None
    except requests.RequestException:
        raise EhrBadResponse() from None


def is_json(response: requests.Response) -> bool:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or "+json" in content_type or content_type.endswith("json+fhir")


def read_json(response: requests.Response, limit: int = MAX_JSON_BYTES) -> dict:
    """The body as a JSON object, read at most `limit` bytes; EhrBadResponse for anything else."""
    return parse_json(read_body(response, limit), limit)


def read_body(response: requests.Response, limit: int) -> bytes:
    """The (streamed) body, refused with EhrBadResponse past `limit` bytes: nothing caps what an EHR sends."""
    body = b""
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > limit:
            response.close()
            raise EhrBadResponse()
    return body


def parse_json(body: bytes, limit: int = MAX_JSON_BYTES) -> dict:
    """The body as a JSON object, bounded in size and depth (bounded_json); EhrBadResponse otherwise."""
    return bounded_json.loads_object(body, max_bytes=limit)


def unavailable(response: requests.Response) -> EhrUnavailable:
    """EhrUnavailable for a 429/5xx answer, carrying its Retry-After (seconds form only, capped)."""
    value = response.headers.get("Retry-After", "").strip()
    retry_after = min(float(value), MAX_RETRY_AFTER) if value.isdigit() else None
    return EhrUnavailable(retry_after=retry_after)


def is_transient(status: int) -> bool:
    return status == 429 or status >= 500
