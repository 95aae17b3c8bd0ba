"""Error pages of the whole app: an error no view handled (handler500) and a refused CSRF check.

A database that went away mid-request (DatabaseError, OperationalError among them) is an outage, not a bug:
503 with Retry-After and a page saying to try again shortly. Anything else is a plain 500 page. Neither
shows what went wrong: that goes to the (redacted) log, which Django writes before calling this; and
neither touches the database, which may be what failed.

A POST without a valid CSRF token (a forged form, or a page left open past its token) gets a 403 page
saying to reload and try again, and an `access.denied` audit event (outcome `csrf`).
"""

import sys

from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string

from smartapp.audit.services import audit_record

RETRY_AFTER_SECONDS = 30
_SUPPORT = "If this keeps happening, contact your organization's support team."

_UNAVAILABLE = {
    "title": "smartapp is briefly unavailable",
    "explanation": "smartapp could not reach its database just now. Nothing you did caused this.",
    "action": "Wait a minute and try again. " + _SUPPORT,
}
_CSRF = {
    "title": "This form could not be sent",
    "explanation": "smartapp could not confirm that this came from its own page, so nothing was done.",
    "action": "Go back, reload the page and try again. " + _SUPPORT,
}
_ERROR = {
    "title": "Something went wrong",
    "explanation": "smartapp could not complete this request.",
    "action": "Try again. " + _SUPPORT,
}


def server_error(request):
    """handler500: 503 for a database outage, 500 otherwise; no request context (it may need the DB)."""
    outage = isinstance(sys.exc_info()[1], DatabaseError)
    page = render_to_string("errors/server_error.html", _UNAVAILABLE if outage else _ERROR)
    response = HttpResponse(page, status=503 if outage else 500)
    if outage:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a plain 403 page, audited. Django's `reason` is a fixed sentence, never PHI."""
    audit_record(action="access.denied", outcome="csrf", request=request, detail={"reason": reason[:80]})
    response = HttpResponse(render_to_string("errors/server_error.html", _CSRF), status=403)
    response["Cache-Control"] = "no-store"
    return response
