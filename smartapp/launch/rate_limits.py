"""Rate limits on the launch and callback endpoints (issue 6 point 7; docs/security.md "Abuse limits").

Each starts work the app pays for (discovery, a pending authorization row, a token exchange, id_token
checks) for anyone on the internet, signed in or not. So each client IP gets LAUNCH_RATE_LIMIT requests
per bucket in a fixed window of LAUNCH_RATE_WINDOW seconds, counted in the default cache; past it the
answer is 429 with Retry-After (RFC 6585 §4) and a page saying when to try again. Only the first refusal
of a window is audited (`access.denied`, outcome `rate_limited`): a flood must not become a flood of
audit rows. IPv6 clients are counted per /64, the block one subscriber usually holds.
"""

import ipaddress
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache

from smartapp.audit.services import audit_record
from smartapp.launch.problems import problem_page

DEFAULTS = {"LAUNCH_RATE_LIMIT": 30, "LAUNCH_RATE_WINDOW": 60}


def _setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def client_key(request) -> str:
    """The client's address as counted: REMOTE_ADDR (see docs on proxies), an IPv6 address as its /64."""
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d from a dual-stack socket is that IPv4 client
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def rate_check(request, bucket: str) -> tuple[int, float]:
    """Count this request in `bucket`: (requests so far in this window, seconds until the next)."""
    window = max(_setting("LAUNCH_RATE_WINDOW"), 1)
    now = time.time()
    key = f"rate:{bucket}:{client_key(request)}:{int(now // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this is the first of a new window
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return count, window - now % window


def rate_limited(bucket: str):
    """View decorator: at most LAUNCH_RATE_LIMIT requests per client IP and window in `bucket`."""

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            limit = _setting("LAUNCH_RATE_LIMIT")
            if limit > 0:
                count, retry_after = rate_check(request, bucket)
                if count > limit:
                    return _refused(request, bucket, count - limit, math.ceil(retry_after))
            return view(request, *args, **kwargs)

        return limited

    return decorate


def _refused(request, bucket: str, over: int, retry_after: int):
    if over == 1:
        limit, window = _setting("LAUNCH_RATE_LIMIT"), _setting("LAUNCH_RATE_WINDOW")
        audit_record(
            action="access.denied",
            outcome="rate_limited",
            request=request,
            detail={"bucket": bucket, "limit": limit, "window": window},
        )
    response = problem_page(request, "rate_limited")
    response["Retry-After"] = str(retry_after)
    response["Referrer-Policy"] = "no-referrer"  # a refused callback URL still carries its code
    return response
