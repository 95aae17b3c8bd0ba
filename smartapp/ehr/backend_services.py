"""SMART Backend Services: a system access token for background work, and an EhrClient that uses it.

https://hl7.org/fhir/smart-app-launch/backend-services.html: `client_credentials` authenticated by a
private_key_jwt assertion signed with the app's key, minted anew (new jti) for every attempt (SECURITY.md
R15, 5.2). A token is kept in this process's memory only, never in the database or the shared cache, and
handed out until shortly before it expires, so a sync run asks for one token, not one per task.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from smartapp.ehr import discovery, token_endpoint
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.discovery import SmartEndpoints
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.profiles import profile_for

log = logging.getLogger(__name__)

TOKEN_ATTEMPTS = 3  # token requests per obtained token; each a new assertion
EARLY_SECONDS = 60.0  # stop handing a token out this long before it expires (at most half its life)


def system_client(config: LaunchConfig, *, iss: str = "", **options) -> EhrClient:
    """An EhrClient reading `config`'s EHR (at `iss`, by default the registration's issuer) as the system.

    The token comes from the process's cache or one client_credentials request (retried on transient
    failures, a new assertion each time). The client gets a new token by itself if the EHR answers 401.
    `options` go to EhrClient (max_pages, on_request, session...). ImproperlyConfigured when `config` has
    no `[backend]` client; LaunchRejected (e.g. reason `invalid_client`) when the EHR refuses it;
    EhrUnavailable when the EHR stays unreachable.
    """
    backend = config.as_backend()
    if backend is None:
        raise ImproperlyConfigured(f"launch config {config.source} has no [backend] client")
    if not (iss or config.issuer):
        raise ValueError("a registration with an issuer_pattern needs the iss of the EHR to read")
    endpoints = discovery.discover(config, iss or config.issuer)
    scope = profile_for(config).scopes(backend, "backend", endpoints)
    key = (backend.name, backend.client_id, endpoints.issuer, scope)
    token_for = partial(_token, key, partial(_obtain, backend, endpoints, scope))
    return EhrClient(base_url=endpoints.issuer, access_token=token_for(), renew_token=token_for, **options)


def forget_system_tokens() -> None:
    """Drop every cached system token (tests; a key rotation)."""
    global _tokens
    _tokens = _TokenCache()


@dataclass(frozen=True)
class _Token:
    access_token: str = field(repr=False)
    use_until: float  # on the monotonic clock


class _TokenCache:
    """One token per key, obtained once at a time per key (single flight) and reused until `use_until`."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks: dict[tuple, threading.Lock] = {}
        self._tokens: dict[tuple, _Token] = {}

    @sensitive_variables("stale", "token")
    def get(self, key: tuple, obtain, stale: str = "") -> str:
        """The cached token for `key`, or a new one from `obtain()` if none is usable or it is `stale`."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            token = self._tokens.get(key)
            if token is None or _now() >= token.use_until or token.access_token == stale:
                token = self._tokens[key] = obtain()
            return token.access_token


def _token(key: tuple, obtain, stale: str = "") -> str:
    return _tokens.get(key, obtain, stale)  # the cache of now: forget_system_tokens may replace it


@sensitive_variables("granted")
def _obtain(backend: LaunchConfig, endpoints: SmartEndpoints, scope: str) -> _Token:
    granted = token_endpoint.client_credentials(
        backend, token_endpoint=endpoints.token_endpoint, scope=scope, attempts=TOKEN_ATTEMPTS
    )
    lifetime = granted.expires_in
    log.info("backend services token for %s, valid %ss", backend.name, lifetime)
    return _Token(granted.access_token, _now() + lifetime - min(EARLY_SECONDS, lifetime / 2))


def _now() -> float:
    return time.monotonic()


_tokens = _TokenCache()
# A forked worker must not inherit a lock held at fork time; it fetches its own token.
os.register_at_fork(after_in_child=forget_system_tokens)
