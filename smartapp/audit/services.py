"""Recording audit events. Call inside the transaction of the action being audited."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from smartapp.audit import chain
from smartapp.audit.models import AuditEvent

_CHAIN_LOCK = 7_310_001  # pg_advisory_xact_lock key serializing appends on PostgreSQL


@transaction.atomic
def audit_record(
    *,
    action: str,
    outcome: str,
    request=None,
    user_id: int | None = None,
    fhir_user: str = "",
    issuer: str = "",
    launch_id: str = "",
    patient_ref: str = "",
    resource_types=(),
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. `detail` holds ids, counts and reason codes only, never PHI."""
    event = _event(
        action=action,
        outcome=outcome,
        request=request,
        user_id=user_id,
        fhir_user=fhir_user,
        issuer=issuer,
        launch_id=launch_id,
        patient_ref=patient_ref,
        resource_types=resource_types,
        detail=detail,
    )
    return _append([event])[0]


def audit_record_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events, in order, under one chain lock and one read of the chain's head, in one
    INSERT (a batch of inbound ADT messages, one event each). Each dict holds audit_record's keyword
    arguments. No savepoint of its own: an audit that fails fails the caller's transaction with it."""
    with transaction.atomic(savepoint=False):
        return _append([_event(**fields) for fields in events]) if events else []


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    prev_mac = _locked_head()
    for event in events:
        event.prev_mac = prev_mac
        event.mac = prev_mac = chain.mac_for(event, prev_mac)
    if connection.features.can_return_rows_from_bulk_insert:  # PostgreSQL; SQLite 3.35+
        _insert_chained(events)
    else:
        for event in events:
            event.save()
    return events


def _locked_head() -> str:
    """Take the chain lock (PostgreSQL) and read the chain head's mac.

    No SELECT ... FOR UPDATE: it needs the UPDATE privilege, which production's role lacks
    (docs/security.md). The advisory lock serializes appends; under READ COMMITTED a statement run after it
    sees the event the previous holder committed. Lock and read go in one round trip as two statements
    (not one: a statement's snapshot is taken before it waits for the lock, and would miss that event).
    """
    table, seq, mac = (connection.ops.quote_name(name) for name in (AuditEvent._meta.db_table, "seq", "mac"))
    head = f"SELECT {mac} FROM {table} ORDER BY {seq} DESC LIMIT 1"  # noqa: S608  (names only)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No parameters (the key is a constant): two statements in one query, either cursor class.
            cursor.execute(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK:d}); {head}")
            cursor.nextset()
        else:
            cursor.execute(head)
        row = cursor.fetchone()
    return row[0] if row else chain.GENESIS


def _insert_chained(events: list[AuditEvent]) -> None:
    """The chain's own append of events chained above, in one statement (the model's manager refuses bulk
    writes to everyone else: models.AppendOnlyQuerySet); each event gets its seq back."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: `connection` is a proxy, read on every use
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    params = [
        field.get_db_prep_save(getattr(event, field.attname), db) for event in events for field in fields
    ]
    quote = db.ops.quote_name
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([one_row] * len(events))} RETURNING {quote('seq')}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        # Sequence values are drawn row by row in VALUES order; RETURNING's own order is not promised.
        for event, (seq,) in zip(events, sorted(cursor.fetchall()), strict=True):
            event.seq = seq
            event._state.adding, event._state.db = False, db.alias


def _event(
    *,
    action: str,
    outcome: str,
    request=None,
    user_id: int | None = None,
    fhir_user: str = "",
    issuer: str = "",
    launch_id: str = "",
    patient_ref: str = "",
    resource_types=(),
    detail: dict | None = None,
) -> AuditEvent:
    return AuditEvent(
        ts=timezone.now(),
        action=action,
        outcome=outcome,
        user_id=user_id if user_id is not None else _request_user_id(request),
        fhir_user=fhir_user,
        issuer=issuer,
        launch_id=str(launch_id),
        patient_ref=patient_ref,
        resource_types=",".join(sorted(set(resource_types))),
        detail=detail or {},
        ip=_ip(request),
        user_agent=_user_agent(request),
        key_id=len(settings.AUDIT_HMAC_KEYS) - 1,  # keys are listed oldest first; the newest signs
    )


def _ip(request) -> str | None:
    # In the form the database gives back (PostgreSQL's inet rewrites IPv6), so the mac still matches.
    raw = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEvent._meta.get_field("ip").get_prep_value(raw or None)


def _user_agent(request) -> str:
    # A NUL would make PostgreSQL refuse the row, and with it the audited action.
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "").replace("\x00", "")[:200]


def _request_user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None
