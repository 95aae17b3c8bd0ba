"""Automatic logoff (HIPAA 45 CFR 164.312(a)(2)(iii); SECURITY.md 4): idle and absolute session limits.

The sign-in time and the last activity are kept in the server-side session. A request that comes more than
SESSION_IDLE_TIMEOUT after the last one, or more than SESSION_ABSOLUTE_TIMEOUT after sign-in, ends the
session like a sign-out (EHR tokens revoked, launches closed, audited as `session.expired` with outcome
"idle" or "absolute") and gets a 401 page saying why. The launch entry points are the exception: opening
smartapp from the EHR again simply starts over, signed out. Every other request of a signed-in browser
counts as activity, but a view marked `counts_as_activity = False`: a polling endpoint (the worklist's
sync status, referrals/freshness_views.py) must never keep an idle session alive. It still ends an expired
session like any other request.

Activity is written to the session at most every ACTIVITY_RESOLUTION seconds, not on every request (that
would add a session write to every page): the idle logoff may come up to that much early, never late.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone

from smartapp.launch.embedding import mark_embeddable
from smartapp.launch.signout import session_end, signed_out_page

SIGNED_IN_AT = "signed_in_at"  # epoch seconds
LAST_SEEN_AT = "last_seen_at"
ACTIVITY_RESOLUTION = 30  # seconds


def starts_over(view):
    """Mark a launch entry point: an expired session is ended and the view runs signed out."""
    view.starts_over_when_expired = True
    return view


def _now() -> float:
    return timezone.now().timestamp()


def _signed_in(sender, request, user, **kwargs) -> None:
    """Every sign-in starts both clocks (the session key has just been cycled by login())."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = _now()


user_logged_in.connect(_signed_in, dispatch_uid="smartapp.launch.session_policy")


def expiry_reason(session, now: float) -> str:
    """Why the session must end now ("absolute" or "idle"), or "" while it may go on."""
    if now - session.get(SIGNED_IN_AT, now) >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if now - session.get(LAST_SEEN_AT, now) >= settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return ""


class SessionTimeoutMiddleware:
    """Enforces the idle and absolute limits on signed-in browsers. Goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.path.startswith(
            tuple(settings.SESSION_TIMEOUT_EXEMPT_PATHS)
        ):
            return None
        now, session = _now(), request.session
        if reason := expiry_reason(session, now):
            session_end(request, action="session.expired", outcome=reason)
            if getattr(view_func, "starts_over_when_expired", False):
                return None
            return mark_embeddable(signed_out_page(request, reason=reason, status=401))
        session.setdefault(SIGNED_IN_AT, now)  # signed in before these clocks existed
        polled = getattr(view_func, "counts_as_activity", True) is False
        if not polled and now - session.get(LAST_SEEN_AT, 0) >= ACTIVITY_RESOLUTION:
            session[LAST_SEEN_AT] = now
        return None
