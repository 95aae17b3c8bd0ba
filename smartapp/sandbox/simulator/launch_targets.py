"""Where a launch may send the browser: only to a registered client's launch URL, never anywhere else.

A launch redirects to the app with `iss` and a fresh `launch` value, and signs a sandbox user in on the
way; sent to any URL, it would be an open redirect that hands both to any site (issue 11, item 9). So the
app must be one of the launch URLs registered with the sandbox (`ClientProfile.launch_url`: seed_sandbox
registers smartapp's, `sandbox_client register --launch-url` any other): the same scheme, host, port and
path. Only the app's own query string and fragment may differ; they cannot move the redirect elsewhere.
"""

from urllib.parse import urlsplit

from smartapp.sandbox.models import ClientProfile

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_registered_launch_url(url: str) -> bool:
    """True when `url` opens a registered client's launch URL."""
    target = _target(url)
    return target is not None and any(target == _target(known) for known in registered_launch_urls())


def registered_launch_urls() -> list[str]:
    return list(ClientProfile.objects.exclude(launch_url="").values_list("launch_url", flat=True))


def _target(url: str) -> tuple | None:
    """(scheme, host, port, path) of an unambiguous absolute http(s) URL, else None.

    Refused outright, because browsers and parsers read them differently: backslashes (a browser reads
    `\\` as `/`), whitespace and control characters (a browser drops tabs and newlines), userinfo (the
    host is what follows the last `@`), and ports that do not parse.
    """
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port or an unclosed IPv6 bracket
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme], parts.path or "/"
