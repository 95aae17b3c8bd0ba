"""The one outgoing HTTP session: an egress allow-list, timeouts on every request, careful retries.

fhirclient and requests have no timeout of their own; every request smartapp sends goes through here.
Retries (RFC 9700 and SMART best practice): connect failures may always be retried; a request that
reached the server is retried only when it is a GET (429/502/503/504), with a capped Retry-After, and
never a POST, so that a single-use code or a rotating refresh token is never sent twice.
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT = (3.05, 10)  # (connect, read) seconds
RETRY_STATUSES = frozenset({429, 502, 503, 504})


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


class GuardedAdapter(HTTPAdapter):
    """Refuses hosts off the allow-list before opening a socket and gives every request a timeout."""

    def __init__(self, allowed_hosts: Iterable[str], timeout=DEFAULT_TIMEOUT, **kwargs):
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        host = (urlsplit(request.url).hostname or "").lower()
        if host not in self.allowed_hosts:
            raise EgressRefused()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def outgoing_session(
    allowed_hosts: Iterable[str], *, timeout=DEFAULT_TIMEOUT, retries: int = 2, max_retry_after: float = 2.0
) -> requests.Session:
    """A requests.Session that only reaches `allowed_hosts` (redirect hops included: each re-enters send)."""
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
    session = requests.Session()
    session.trust_env = False  # no proxies or netrc from the environment: egress is decided here only
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
