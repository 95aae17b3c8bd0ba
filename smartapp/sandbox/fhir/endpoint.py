"""What every FHIR API request goes through: faults, the bearer token, errors and common headers.

Order: injected latency first (so it delays every answer, errors included), then the method, the token
(401), then injected 429/500/503 faults, then the view.
"""

import logging
import time
from dataclasses import dataclass
from functools import wraps

from django.views.decorators.csrf import csrf_exempt

from smartapp.sandbox import faults
from smartapp.sandbox.base_url import bind
from smartapp.sandbox.bearer import Bearer, BearerRejected, bearer_for
from smartapp.sandbox.fhir.outcomes import FhirError, outcome_response

logger = logging.getLogger(__name__)

_FAULT_KINDS = frozenset(
    {faults.LATENCY_MS, faults.FHIR_429, faults.FHIR_500, faults.FHIR_503, faults.NEXT_BROKEN}
)
_MAX_LATENCY_MS = 60_000
_REALM = 'Bearer realm="smartapp sandbox"'


@dataclass(frozen=True)
class Call:
    """The caller of one FHIR request: its bearer (None on public endpoints) and the faults in force."""

    bearer: Bearer | None
    faults: dict[str, str]
    # The vendor emulation whose base the request came to (smartapp/sandbox/vendors/); "" = plain sandbox.
    vendor: str = ""
    tenant: str = ""  # the tenant id of a tenant-scoped base (Oracle), else ""


def fhir_endpoint(*, methods: tuple[str, ...] = ("GET",), public: bool = False):
    """Wrap a view `view(request, call, **kwargs)` in the FHIR API's checks and error handling."""

    def wrap(view):
        @csrf_exempt  # bearer-token API: no cookies authenticate it, so no CSRF risk
        @wraps(view)
        def handle(request, **kwargs):
            # Set by the vendor bases' URL includes (smartapp/sandbox/urls.py), absent on the plain base.
            bind(request, kwargs.pop("vendor", ""), kwargs.pop("tenant", ""))
            response = _answer(request, view, methods, public, kwargs)
            response["Cache-Control"] = "no-store"
            return response

        return handle

    return wrap


def _answer(request, view, methods, public, kwargs):
    bearer, rejection, injected = None, None, None
    if not public:
        try:
            bearer, injected = bearer_for(request, fault_kinds=_FAULT_KINDS)
        except BearerRejected as error:
            rejection = error
    if injected is None:
        injected = faults.active(request, kinds=_FAULT_KINDS)
    try:
        _sleep(injected.get(faults.LATENCY_MS, ""))
        if request.method not in methods:
            raise FhirError(
                405, f"{request.method} is not supported here", headers={"Allow": ", ".join(methods)}
            )
        if rejection is not None:
            raise _unauthorized(rejection)
        _raise_injected(injected)
        return view(request, Call(bearer, injected, request.sandbox_vendor, request.sandbox_tenant), **kwargs)
    except FhirError as error:
        return outcome_response(error)
    except Exception:
        logger.exception("sandbox FHIR request failed")
        return outcome_response(FhirError(500, "Internal server error"))


def _unauthorized(rejection: BearerRejected) -> FhirError:
    # RFC 6750 section 3.1: no error code when the request carried no token at all.
    challenge = (
        _REALM
        if rejection.reason == "missing bearer token"
        else (f'{_REALM}, error="invalid_token", error_description="{rejection.reason}"')
    )
    return FhirError(
        401, f"Authentication failed: {rejection.reason}", headers={"WWW-Authenticate": challenge}
    )


def _sleep(milliseconds: str) -> None:
    if milliseconds.isdigit():
        time.sleep(min(int(milliseconds), _MAX_LATENCY_MS) / 1000)


def _raise_injected(injected: dict[str, str]) -> None:
    if faults.FHIR_429 in injected:
        retry = _seconds(injected[faults.FHIR_429])
        raise FhirError(429, "Too many requests (injected fault)", headers={"Retry-After": retry})
    if faults.FHIR_500 in injected:
        raise FhirError(500, "Internal server error (injected fault)")
    if faults.FHIR_503 in injected:
        retry = _seconds(injected[faults.FHIR_503])
        raise FhirError(503, "Service unavailable (injected fault)", headers={"Retry-After": retry})


def _seconds(value: str) -> str:
    return value if value.isdigit() else "1"
