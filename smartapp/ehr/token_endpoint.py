"""The token endpoint: code exchange, refresh, Backend Services, revocation (RFC 6749, 7009; SMART 2.x).

A POST that reached the server is never sent again (SECURITY.md §0.4, §5.2): a code is single-use and a
rotating refresh token used twice can revoke the whole grant. The session retries connect failures only.
Backend Services may try again because every attempt carries a newly minted assertion (a new jti).
"""

import logging
import math
import random
import re
import time
from dataclasses import dataclass, field

from django.views.decorators.debug import sensitive_variables

from smartapp.ehr.client_auth import client_authentication
from smartapp.ehr.configs import LaunchConfig, canonical_issuer
from smartapp.ehr.discovery import check_endpoint
from smartapp.ehr.errors import (
    EhrAuthExpired,
    EhrBadResponse,
    EhrRedirected,
    EhrUnavailable,
    LaunchRejected,
)
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.session import (
    ehr_session,
    is_json,
    is_transient,
    launch_transport_errors,
    parse_json,
    read_body,
    unavailable,
)

log = logging.getLogger(__name__)

TIMEOUT = (3.05, 10)
MAX_BODY = 256 * 1024
MAX_WAIT = 2.0  # seconds a Backend Services token request waits before trying again
# expires_in (RFC 6749 §5.1) is only RECOMMENDED: when absent, assume a short life. A number is taken as
# whole seconds and clamped: below a minute a token would expire before its first use (and a refresh loop
# would follow), past a day it would outlive any clinical session (and 1e12 s overflows a datetime).
# A value that is not a finite number (a word, true, NaN, Infinity, 1e400) makes the response unreadable.
DEFAULT_EXPIRES_IN = 300
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 24 * 3600
_NOT_ERROR_CODE = re.compile(r"[^a-z_]")


@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    expires_in: int
    scope: str  # granted, which may differ from what was asked (SMART §Scopes)
    refresh_token: str = field(repr=False)  # "" if none
    id_token: str = field(repr=False)  # "" if none
    patient: str  # "" if none
    encounter: str
    need_patient_banner: bool
    smart_style_url: str


@sensitive_variables("code", "code_verifier", "form")
def exchange_code(
    config: LaunchConfig, *, token_endpoint: str, code: str, redirect_uri: str, code_verifier: str
) -> TokenResponse:
    """Redeem an authorization code once; LaunchRejected(reason=<OAuth error>) if the EHR refuses it."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return _token(config, token_endpoint, form, refused=_launch_rejected)


@sensitive_variables("refresh_token", "form")
def refresh(config: LaunchConfig, *, token_endpoint: str, refresh_token: str) -> TokenResponse:
    """A new access token; EhrAuthExpired when the EHR no longer accepts the refresh token."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token(config, token_endpoint, form, refused=_auth_expired)


def client_credentials(
    config: LaunchConfig, *, token_endpoint: str, scope: str, attempts: int = 2
) -> TokenResponse:
    """A SMART Backend Services token. A transient failure is tried again, up to `attempts` tries in
    all, each with a newly minted assertion; a Retry-After longer than a short wait is left to the caller."""
    form = {"grant_type": "client_credentials", "scope": scope}
    for attempt in range(1, attempts + 1):
        try:
            return _token(config, token_endpoint, form, refused=_launch_rejected)
        except EhrUnavailable as error:
            wait = _backoff(error, attempt)
            if attempt >= attempts or wait > MAX_WAIT:
                raise
            time.sleep(wait)
    raise ValueError("attempts must be at least 1")


def _backoff(error: EhrUnavailable, attempt: int) -> float:
    """Retry-After when the EHR gave one, else full jitter (SECURITY.md 5.2)."""
    if error.retry_after is not None:
        return error.retry_after
    return random.uniform(0, min(MAX_WAIT, 0.2 * 2**attempt))  # noqa: S311 (jitter, not a secret)


@sensitive_variables("token", "form")
def revoke(config: LaunchConfig, *, revocation_endpoint: str, token: str, token_type_hint: str) -> None:
    """Ask the EHR to revoke `token` (RFC 7009). Best effort: the caller forgets the token either way."""
    form = {"token": token, "token_type_hint": token_type_hint}
    answer = _post(config, revocation_endpoint, form)
    if is_transient(answer.status):
        raise answer.unavailable
    if not 200 <= answer.status < 300:
        log.warning("revocation answered %s", answer.status)
        raise EhrBadResponse()


@sensitive_variables("form", "data")
def _token(config: LaunchConfig, url: str, form: dict, *, refused) -> TokenResponse:
    answer = _post(config, url, form)
    if is_transient(answer.status):
        raise answer.unavailable
    if 300 <= answer.status < 400:
        log.warning("token endpoint answered a %s request with a redirect; refused", form["grant_type"])
        raise EhrRedirected()
    if not answer.json:
        raise EhrBadResponse()
    data = parse_json(answer.body, MAX_BODY)
    if "error" in data and (answer.status in (400, 401) or "access_token" not in data):
        code = _NOT_ERROR_CODE.sub("", str(data["error"]).lower())[:40] or "error"
        log.info("token endpoint refused a %s request: %s", form["grant_type"], code)
        raise refused(code)
    if answer.status != 200:
        raise EhrBadResponse()
    return _parse(data)


@dataclass(frozen=True)
class _Answer:
    status: int
    json: bool
    body: bytes = field(repr=False)
    unavailable: EhrUnavailable | None = None


@sensitive_variables("form", "fields")
def _post(config: LaunchConfig, url: str, form: dict) -> _Answer:
    """POST `form` with the client authentication, once; no redirects (following one would resend it)."""
    check_endpoint(url, config)  # on this registration's own origins: never another EHR's endpoint
    fields, headers = client_authentication(config, url)
    with (
        launch_transport_errors(),
        ehr_session(timeout=TIMEOUT) as session,
        session.post(
            url,
            data={**form, **fields},
            headers={"Accept": "application/json", **headers},
            allow_redirects=False,
            stream=True,
        ) as response,
    ):
        transient = is_transient(response.status_code)
        return _Answer(
            status=response.status_code,
            json=is_json(response),
            body=b"" if transient else read_body(response, MAX_BODY),
            unavailable=unavailable(response) if transient else None,
        )


def _launch_rejected(code: str) -> LaunchRejected:
    return LaunchRejected(reason=code)


def _auth_expired(code: str) -> EhrAuthExpired:
    return EhrAuthExpired(reason=code)  # the caller tells a dead grant (invalid_grant) from other refusals


@sensitive_variables("data", "access_token")
def _parse(data: dict) -> TokenResponse:
    access_token = data.get("access_token")
    token_type = data.get("token_type")
    if not isinstance(access_token, str) or not access_token:
        raise EhrBadResponse()
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise EhrBadResponse()
    banner = data.get("need_patient_banner", True)
    return TokenResponse(
        access_token=access_token,
        expires_in=_expires_in(data.get("expires_in")),
        scope=_text(data.get("scope")),
        refresh_token=_text(data.get("refresh_token")),
        id_token=_text(data.get("id_token")),
        patient=_context_id(data.get("patient"), "patient_invalid"),
        encounter=_context_id(data.get("encounter"), "encounter_invalid"),
        need_patient_banner=banner if isinstance(banner, bool) else True,
        smart_style_url=_style_url(data.get("smart_style_url")),
    )


def _expires_in(value) -> int:
    """Seconds the access token lives: DEFAULT_EXPIRES_IN when absent, else clamped to
    [MIN_EXPIRES_IN, MAX_EXPIRES_IN]; EhrBadResponse for anything but a finite number."""
    if value is None:
        return DEFAULT_EXPIRES_IN
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)  # some servers send "3600"; not "²", nor 5,000 digits (int() refuses both)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EhrBadResponse()
    return int(min(max(value, MIN_EXPIRES_IN), MAX_EXPIRES_IN))


def _context_id(value, reason: str) -> str:
    """A launch context id, checked against the FHIR id grammar: it ends up in request paths."""
    if value in (None, ""):
        return ""
    if not is_fhir_id(value):  # SECURITY.md R11
        raise LaunchRejected(reason=reason)
    return value


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _style_url(value) -> str:
    return value if isinstance(value, str) and canonical_issuer(value) else ""
