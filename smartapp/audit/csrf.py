"""CSRF_FAILURE_VIEW: a POST without a valid CSRF token (a forged form, or a page left open past its token).

A 403 page saying to reload and try again, and an `access.denied` audit event (outcome `csrf`).
"""

from django.http import HttpResponse
from django.template.loader import render_to_string

from smartapp.audit.services import audit_record
from smartapp.core.errors import SUPPORT

_CSRF = {
    "title": "This form could not be sent",
    "explanation": "smartapp could not confirm that this came from its own page, so nothing was done.",
    "action": "Go back, reload the page and try again. " + SUPPORT,
}


def csrf_failure(request, reason: str = ""):
    """A plain 403 page, audited. Django's `reason` is a fixed sentence, never PHI."""
    audit_record(action="access.denied", outcome="csrf", request=request, detail={"reason": reason[:80]})
    response = HttpResponse(render_to_string("errors/server_error.html", _CSRF), status=403)
    response["Cache-Control"] = "no-store"
    return response
