"""A correlation id per request: on the error page a person sees, on every log line of that request.

Support can then find the log lines of the page someone reports ("reference 3f9c...") without the person
saying anything about a patient. The id is random and made here, never taken from the request (a client's
X-Request-ID could forge or flood another request's lines), and it is sent back in X-Correlation-ID.

Every LogRecord gets `correlation_id` (the current request's, or "-" outside one) from a record factory
installed by CoreConfig.ready, so every handler sees it, and from CorrelationIdFilter on the handlers of
settings.LOGGING for records made before that.
"""

import logging
import secrets
from contextvars import ContextVar

from django.utils.log import log_response

HEADER = "X-Correlation-ID"
NONE = "-"
_current: ContextVar[str] = ContextVar("correlation_id", default=NONE)


def new_id() -> str:
    """16 hex characters (64 random bits): unique enough to find one request's lines, short to read out."""
    return secrets.token_hex(8)


def current() -> str:
    """The correlation id of the request being handled in this thread, or "-"."""
    return _current.get()


class CorrelationIdMiddleware:
    """First in MIDDLEWARE: every later middleware, the view, the error handlers and their log lines see
    `request.correlation_id`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.correlation_id = new_id()
        token = _current.set(request.correlation_id)
        try:
            response = self.get_response(request)
            # Django logs an error response ("Not Found: /x") after the middleware, where the id is gone;
            # the same line logged here carries it, and Django then skips its own (_has_been_logged).
            if response.status_code >= 400:
                log_response(
                    "%s: %s", response.reason_phrase, request.path, response=response, request=request
                )
        finally:
            _current.reset(token)
        response[HEADER] = request.correlation_id
        return response


class CorrelationIdFilter(logging.Filter):
    """Gives a record without one the current correlation id (records made before the factory)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = current()
        return True


def install_record_factory() -> None:
    """Make every LogRecord carry `correlation_id` (idempotent; keeps any factory installed before)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_correlation_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.correlation_id = current()
        return record

    factory.adds_correlation_id = True
    logging.setLogRecordFactory(factory)
