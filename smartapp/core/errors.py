"""The app's error pages: 400, 403, 404 and 500 (503 for a database outage), the same in every mode.

Each says what happened and what to do, and shows the request's correlation id (core/correlation.py),
which the log line of the error carries too. None shows what went wrong (no URL patterns, no trace, no
local variables, which can hold a patient's name): that goes to the redacted log only. They are rendered
without the request, so they never touch the database, which may be what failed.

Django shows its technical pages instead when DEBUG is on: for an uncaught exception (through
DEFAULT_EXCEPTION_REPORTER, which settings point at ErrorPageReporter) and for a 404 (which core/middleware.py
StyledNotFoundMiddleware answers first). Both give way only to SHOW_TRACEBACKS (development only).

A database that went away mid-request (DatabaseError, OperationalError among them) is an outage, not a bug:
503 with Retry-After. The refused CSRF check has its own page in smartapp/audit/csrf.py (it writes an audit
event, and core imports no other smartapp module), on the same template.
"""

import sys
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.debug import ExceptionReporter

from smartapp.core import correlation

RETRY_AFTER_SECONDS = 30
SUPPORT = "If this keeps happening, contact your organization's support team."
_AGAIN = "Open smartapp again from your EHR, or go to the smartapp home page."

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
PAGES = {
    400: {
        "title": "This request could not be read",
        "explanation": "smartapp could not make sense of what the browser sent.",
        "action": "Go back and try again. " + _AGAIN,
    },
    403: {
        "title": "You cannot open this page",
        "explanation": "This page is not part of what your sign-in lets you see.",
        "action": _AGAIN + " " + SUPPORT,
    },
    404: {
        "title": "Page not found",
        "explanation": "There is no page at this address, or it is no longer available.",
        "action": _AGAIN,
    },
    500: _ERROR,
    503: _UNAVAILABLE,
}


def error_html(status: int) -> str:
    """The styled page for `status`, naming the current request's correlation id."""
    reason = HTTPStatus(status).phrase  # "Not Found": what support and an HTTP client expect to read
    return render_to_string("errors/server_error.html", {**PAGES[status], "status": status, "reason": reason})


def error_page(status: int) -> HttpResponse:
    response = HttpResponse(error_html(status), status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    """handler400 (a SuspiciousOperation, a malformed upload, a body over DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    return error_page(400)


def permission_denied(request, exception=None):
    """handler403: every refusal no view answered itself (a role check, the default deny)."""
    return error_page(403)


def page_not_found(request, exception=None):
    """handler404, and StyledNotFoundMiddleware's page while DEBUG is on."""
    return error_page(404)


def server_error(request):
    """handler500: 503 for a database outage, 500 otherwise."""
    return error_page(503 if isinstance(sys.exc_info()[1], DatabaseError) else 500)


class ErrorPageReporter(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: what Django's DEBUG pages (technical_500_response) show. The app's page
    and a one-line text without a trace, unless SHOW_TRACEBACKS asks for Django's own."""

    def _status(self) -> int:
        if isinstance(self.exc_value, SuspiciousOperation | BadRequest):
            return 400
        return 503 if isinstance(self.exc_value, DatabaseError) else 500

    def get_traceback_html(self):
        if getattr(settings, "SHOW_TRACEBACKS", False):
            return super().get_traceback_html()
        return error_html(self._status())

    def get_traceback_text(self):
        if getattr(settings, "SHOW_TRACEBACKS", False):
            return super().get_traceback_text()
        page = PAGES[self._status()]
        return f"{page['title']}. {page['action']} Reference: {correlation.current()}\n"
