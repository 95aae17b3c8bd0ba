"""Framing by the EHR, and the Content-Security-Policy around it (SECURITY.md R17 and 4.1).

No page may be framed by default: CSP `frame-ancestors 'none'` and X-Frame-Options DENY. A view marked
@embeddable (what a clinician sees inside the EHR: launch, callback, chart, notes, signed out) may be
framed by the origins of enabled registrations with `embedding = "iframe"`, and only when there are any.
Inside such a frame the app is a third party, and browsers send a third party only SameSite=None cookies:
the session and CSRF cookies then become SameSite=None (always with Secure). Otherwise they stay Lax.

`form-action` lists 'self' and the EHR hosts the app may send a browser to: a standalone sign-in form
posts to the app, which answers with a redirect to the EHR's authorize endpoint, and browsers apply
form-action to that redirect too. Those endpoints must be on the registrations' hosts (ehr.discovery).
"""

from functools import wraps

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

from smartapp.ehr import configs


def mark_embeddable(response):
    """Let the EHRs that embed the app frame this response (no-op when none does)."""
    if configs.embedding_origins():
        response.xframe_options_exempt = True
        response.embeddable = True
    return response


def embeddable(view):
    """View decorator: the page may be shown inside a registered EHR's frame."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return mark_embeddable(view(request, *args, **kwargs))

    return wrapped


def frame_ancestors(*, own_origin: bool = False) -> list[str]:
    """The frame-ancestors sources of an embeddable response."""
    sources = ["'self'"] if own_origin else []
    sources += sorted(configs.embedding_origins())
    return sources or ["'none'"]


def _redirect_targets() -> list[str]:
    """CSP sources for the hosts the app may redirect a browser to (its EHRs' authorization servers)."""
    sources = []
    for host in sorted(configs.allowed_hosts()):
        if host == "localhost" or host.startswith("127."):
            sources.append(f"http://{host}:*")  # the loopback sandbox in development
        elif ":" not in host:  # CSP host sources cannot name IPv6 literals
            sources.append(f"https://{host}")
    return sources


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the registry's parts: form-action targets and embedding origins."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        parts.update = {**(parts.update or {}), "form-action": _redirect_targets()}
        if getattr(response, "embeddable", False):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": frame_ancestors()}
        return parts


class EmbeddedCookiesMiddleware:
    """SameSite=None; Secure on the session and CSRF cookies while an EHR embeds the app in a frame.

    Goes before SessionMiddleware and CsrfViewMiddleware, so it sees the cookies they set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if configs.embedding_origins():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
