"""The error page of the whole app for an error no view handled (handler500).

A database that went away mid-request (DatabaseError, OperationalError among them) is an outage, not a bug:
503 with Retry-After and a page saying to try again shortly. Anything else is a plain 500 page. Neither
shows what went wrong: that goes to the (redacted) log, which Django writes before calling this; and
neither touches the database, which may be what failed.

The refused CSRF check has its own page in smartapp/audit/csrf.py: it writes an audit event, and core
imports no other smartapp module.
"""

import sys

from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 30
SUPPORT = "If this keeps happening, contact your organization's support team."

_UNAVAILABLE = {
    "title": "smartapp is briefly unavailable",
    "explanation": "smartapp could not reach its database just now. Nothing you did caused this.",
    "action": "Wait a minute and try again. " + SUPPORT,
}
_ERROR = {
    "title": "Something went wrong",
    "explanation": "smartapp could not complete this request.",
    "action": "Try again. " + SUPPORT,
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
