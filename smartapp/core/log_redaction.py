"""A logging filter that keeps PHI and secrets out of every log line (SECURITY.md 4.4).

Three leaks it closes, whichever logger a record comes from:
- `extra={...}` fields named like PHI or a secret (`family`, `birthDate`, `access_token`, ...) are masked;
  a dict-valued extra (headers, a form) has such keys masked too;
- the formatted message and exception text have the values of `code`, `state`, `access_token`,
  `id_token`, `launch`, `iss` (and FHIR search parameters that name a person) masked wherever they
  appear as `key=value`, which covers the request line of the development server's access log;
- `Bearer <token>` / `Basic <credentials>` and bare JWTs are masked.

It cannot recognise a name passed as a plain `%s` argument: code logs ids only, and
tests/security/test_no_phi_in_logs.py scans the logs of a full run for the seeded patients' data.
Attached to every handler in settings.LOGGING and to the Celery worker's handlers (smartapp/celery.py).
"""

import logging
import re

MASK = "[redacted]"

# Compared after lower-casing and dropping "_" and "-", so birthDate, birth_date and birth-date match.
SENSITIVE_FIELDS = frozenset(
    {
        # PHI (FHIR Patient and note fields, and the names code tends to give them)
        "name",
        "given",
        "family",
        "birthdate",
        "dob",
        "telecom",
        "phone",
        "email",
        "address",
        "identifier",
        "mrn",
        "ssn",
        "text",
        "note",
        "notetext",
        "body",
        "content",
        # secrets of the OAuth flow
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "token",
        "code",
        "state",
        "codeverifier",
        "clientsecret",
        "password",
        "authorization",
        "cookie",
        "launch",
    }
)

# Query-string / form keys whose values never reach a log line.
_QUERY_KEYS = (
    "code|state|access_token|refresh_token|id_token|code_verifier|client_secret|client_assertion"
    "|launch|iss|aud|name|given|family|birthdate|identifier|phone|email|telecom|address"
)
_QUERY_VALUE = re.compile(rf"(?<![\w.-])((?:{_QUERY_KEYS})=)[^&\s\"'#<>]*", re.IGNORECASE)
# "access_token": "..." in a logged JSON body or repr'd dict (oauthlib logs {'code': ..., 'state': ...}).
_SECRET_KEYS = "access_token|refresh_token|id_token|code_verifier|client_secret|client_assertion"
_JSON_SECRET = re.compile(
    rf"""((?:["']?(?:{_SECRET_KEYS})["']?|["'](?:code|state|launch)["'])\s*[:=]\s*)["']?[^"',\s}}&]+["']?""",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact_text(text: str) -> str:
    """`text` with secret and PHI-bearing `key=value` values, bearer credentials and JWTs masked."""
    text = _QUERY_VALUE.sub(rf"\1{MASK}", text)
    text = _JSON_SECRET.sub(rf"\1{MASK}", text)
    text = _AUTH_SCHEME.sub(rf"\1 {MASK}", text)
    return _JWT.sub(MASK, text)


def is_sensitive(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "") in SENSITIVE_FIELDS


def _redact_value(value):
    if isinstance(value, dict):
        return {k: MASK if is_sensitive(str(k)) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, str):
        return redact_text(value)
    return value


class PhiRedactionFilter(logging.Filter):
    """Masks PHI and secrets in a record in place; never drops the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in set(vars(record)) - _STANDARD_ATTRS:
            setattr(record, key, MASK if is_sensitive(key) else _redact_value(getattr(record, key)))
        self._redact_message(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True

    @staticmethod
    def _redact_message(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep the template, drop the arguments
            message = str(record.msg)
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()


def attach(logger: logging.Logger) -> None:
    """Add the filter to every handler of `logger` (for handlers configured outside settings.LOGGING)."""
    for handler in logger.handlers:
        if not any(isinstance(f, PhiRedactionFilter) for f in handler.filters):
            handler.addFilter(PhiRedactionFilter())
