"""Ending a browser's session: by the user (logout) or by the clock (automatic logoff).

Both end the same way: each open launch of this browser has its EHR tokens revoked where the EHR offers
revocation and deleted here, is closed and audited; then the session is flushed (a new, empty one follows).
"""

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.utils import timezone

from smartapp.audit.services import audit_record
from smartapp.launch import grants
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.events import audit_launch_event
from smartapp.launch.models import Launch

# Sent with the signed-out page: the browser drops what it cached or stored for the app (ASVS 14.3.1).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def session_end(request, *, action: str, outcome: str) -> int:
    """End this browser's open launches and sign it out; the number of launches ended."""
    ids = request.session.get(SESSION_LAUNCHES, [])
    ended = 0
    for launch in Launch.objects.filter(pk__in=ids, user_id=request.user.pk, ended_at__isnull=True):
        grants.grant_end(launch)
        Launch.objects.filter(pk=launch.pk).update(ended_at=timezone.now())
        audit_launch_event(request, launch, action=action, outcome=outcome)
        ended += 1
    if not ended and request.user.is_authenticated:
        audit_record(action=action, outcome=outcome, request=request)
    logout(request)  # flushes the session and makes request.user anonymous
    return ended


def signed_out_page(request, *, reason: str, status: int = 200):
    """The "you are signed out" page; `reason` is "logout", "idle" or "absolute"."""
    context = {
        "reason": reason,
        "idle_minutes": round(settings.SESSION_IDLE_TIMEOUT / 60),
        "absolute_hours": round(settings.SESSION_ABSOLUTE_TIMEOUT / 3600),
    }
    response = render(request, "launch/signed_out.html", context, status=status)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    response["Cache-Control"] = "no-store"
    return response
