"""Fault injection: switch a fault on for every client, for one client, or for one request.

Three switches, narrowest first:
- a request header `X-Sandbox-Fault: kind[=value][, kind[=value]]` (one request; tests and demos);
- a `Fault` row for one `client_id`, or for every client with `client_id=""`, optionally for the next N
  requests only (`remaining`); rows are set by `python manage.py sandbox_fault` or POST /sandbox/faults/.
"""

import time
from contextlib import suppress

from django.db import OperationalError
from django.db.models import F, Q

from smartapp.sandbox.models import Fault

HEADER = "HTTP_X_SANDBOX_FAULT"

# FHIR API faults.
LATENCY_MS = "latency_ms"  # value: milliseconds added before answering
FHIR_429 = "fhir_429"  # value: Retry-After seconds
FHIR_500 = "fhir_500"
FHIR_503 = "fhir_503"
TOKEN_EXPIRED = "token_expired"  # the bearer token is treated as expired (401)
TOKEN_REVOKED = "token_revoked"  # the bearer token is treated as revoked (401)
NEXT_BROKEN = "next_broken"  # search bundles carry a `next` link that leads nowhere
# Bulk Data $export faults (smartapp/sandbox/bulk/), decided when the job is kicked off or a file is read.
EXPORT_FAILED = "export_failed"  # the job ends in error: its status URL answers 500 with an OperationOutcome
EXPORT_FILE_EXPIRED = "export_file_expired"  # the job's file URLs answer 410 Gone: start a new export
EXPORT_SLOW = "export_slow"  # value: seconds the job takes before its manifest is ready
# Launch errors of SMART's reference launcher.
AUTH_INVALID_CLIENT_ID = "auth_invalid_client_id"
AUTH_INVALID_REDIRECT_URI = "auth_invalid_redirect_uri"
AUTH_INVALID_SCOPE = "auth_invalid_scope"
TOKEN_INVALID_TOKEN = "token_invalid_token"  # the token endpoint refuses the code as invalid
TOKEN_EXPIRED_REFRESH = "token_expired_refresh_token"  # the token endpoint refuses a refresh token

KINDS = frozenset(
    {
        LATENCY_MS,
        FHIR_429,
        FHIR_500,
        FHIR_503,
        TOKEN_EXPIRED,
        TOKEN_REVOKED,
        NEXT_BROKEN,
        EXPORT_FAILED,
        EXPORT_FILE_EXPIRED,
        EXPORT_SLOW,
        AUTH_INVALID_CLIENT_ID,
        AUTH_INVALID_REDIRECT_URI,
        AUTH_INVALID_SCOPE,
        TOKEN_INVALID_TOKEN,
        TOKEN_EXPIRED_REFRESH,
    }
)


def parse_header(value: str) -> dict[str, str]:
    """`"fhir_429=3, latency_ms=50"` -> `{"fhir_429": "3", "latency_ms": "50"}`; unknown kinds dropped."""
    faults = {}
    for part in value.split(","):
        kind, _, arg = part.partition("=")
        kind = kind.strip()
        if kind in KINDS:
            faults[kind] = arg.strip()
    return faults


def active(request, *, client_id: str = "", kinds=KINDS) -> dict[str, str]:
    """The faults among `kinds` in force for this request, as {kind: value}.

    A counted fault row is consumed (its `remaining` decremented) only when it applies here.
    """
    found = {k: v for k, v in parse_header(request.META.get(HEADER, "")).items() if k in kinds}
    query = Fault.objects.filter(Q(client_id="") | Q(client_id=client_id), kind__in=kinds).order_by("-id")
    for row in _when_unlocked(lambda: list(query)):
        if row.kind in found or not _consume(row):
            continue
        found[row.kind] = row.value
    return found


def _consume(row: Fault) -> bool:
    if row.remaining is None:
        return True
    claimed = _when_unlocked(
        lambda: Fault.objects.filter(pk=row.pk, remaining__gt=0).update(remaining=F("remaining") - 1)
    )
    if claimed:  # a used-up row left behind is never consumed again (remaining > 0 above)
        with suppress(OperationalError):
            Fault.objects.filter(pk=row.pk, remaining=0).delete()
    return bool(claimed)


def _when_unlocked(statement, *, attempts: int = 8):
    """`statement()`, tried again while SQLite answers "database table is locked" (SQLITE_LOCKED).

    Every FHIR request reads this table, several at once, and a counted fault writes it. Connections that
    share an in-memory database's cache (the live-server tests' database) lock whole tables, and SQLite
    answers SQLITE_LOCKED at once, without the busy timeout that makes file databases wait. A statement
    that failed so changed nothing, so trying it again is safe.
    """
    for attempt in range(attempts):
        try:
            return statement()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def switch_on(kind: str, value: str = "", *, client_id: str = "", remaining: int | None = None) -> Fault:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind: {kind}")
    return Fault.objects.create(kind=kind, value=value, client_id=client_id, remaining=remaining)


def switch_off(kind: str | None = None, *, client_id: str | None = None) -> int:
    rows = Fault.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    return rows.delete()[0]
