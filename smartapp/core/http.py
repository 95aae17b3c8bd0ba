"""The one outgoing HTTP session: an egress allow-list, timeouts on every request, careful retries.

fhirclient and requests have no timeout of their own; every request smartapp sends goes through here.
Retries (RFC 9700 and SMART best practice): connect failures may always be retried; a request that
reached the server is retried only when it is a GET (429/502/503/504), with a capped Retry-After, and
never a POST, so that a single-use code or a rotating refresh token is never sent twice.

The allow-list compares origins: an entry "https://ehr.example.org:8443" lets requests reach that scheme,
host and port only (the default port when none is written); a bare host ("127.0.0.1") any port of it, for
operators' EGRESS_ALLOWED_HOSTS. Redirects are never followed, whatever a caller asks: a 3xx comes back as
the answer, so a server cannot send a request (a code, a verifier, a token) on to a place it chooses.
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT = (3.05, 10)  # (connect, read) seconds
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class EgressRefused(Exception):
    """The request's host is not on the allow-list; nothing was sent."""

    def __init__(self):
        super().__init__("outgoing request refused: host not allowed")


class CappedRetry(Retry):
    """urllib3 sleeps for the whole Retry-After; a user is waiting, so cap it."""

    max_retry_after = 2.0

    def get_retry_after(self, response):
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)

    def new(self, **kw):
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the default port filled in; None when there is none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


class GuardedAdapter(HTTPAdapter):
    """Refuses origins off the allow-list before opening a socket and gives every request a timeout."""

    def __init__(self, allowed_hosts: Iterable[str], timeout=DEFAULT_TIMEOUT, **kwargs):
        entries = [entry.lower() for entry in allowed_hosts]
        self.allowed_hosts = frozenset(entry for entry in entries if "://" not in entry)
        self.allowed_origins = frozenset(filter(None, (origin_of(e) for e in entries if "://" in e)))
        self.timeout = timeout
        super().__init__(**kwargs)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and (origin in self.allowed_origins or origin[1] in self.allowed_hosts)

    def send(self, request, **kwargs):
        if not self.allows(request.url):
            raise EgressRefused()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class NoRedirectSession(requests.Session):
    """A Session that never follows a redirect, even when asked to: the 3xx is the answer."""

    def get_redirect_target(self, response):
        return None


def outgoing_session(
    allowed_hosts: Iterable[str], *, timeout=DEFAULT_TIMEOUT, retries: int = 2, max_retry_after: float = 2.0
) -> requests.Session:
    """A requests.Session that reaches only `allowed_hosts` (origins, bare hosts) and follows no redirect."""
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=0.2,
        backoff_jitter=0.2,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.max_retry_after = max_retry_after
    adapter = GuardedAdapter(allowed_hosts, timeout=timeout, max_retries=retry)
    session = NoRedirectSession()
    session.trust_env = False  # no proxies or netrc from the environment: egress is decided here only
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
