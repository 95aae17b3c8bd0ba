"""The durable inbox: a batch of received ADT messages committed in one transaction, before any ACK leaves
(STYLE.md 13, store then acknowledge). One transaction per batch is one fsync for the whole batch: what lets
a listener keep up with an interface engine's burst (listener.py group-commits into it).

A message is keyed by (sender, MSH-10): a resend of a message already stored, or a second copy inside the
same batch, is a duplicate: ACKed AA again, never stored or processed twice (HL7 v2.5.1 2.10.2, "the
receiving system ... uses the message control id to detect duplicates").
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from smartapp.adt import checks
from smartapp.adt.checks import Problem
from smartapp.adt.contents import AdtMessage, Header
from smartapp.adt.models import PENDING, InboundMessage
from smartapp.adt.quick_read import ListenerRead
from smartapp.audit.services import audit_record_many
from smartapp.ehr import configs

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
AUDIT_ACTION = "adt.received"


@dataclass
class Received:
    """A message read off a connection that passed the content checks, waiting to be stored."""

    raw: bytes
    message: AdtMessage | ListenerRead  # the listener's quick read; both carry header, event, visit_number
    received_at: datetime


@dataclass
class Refused:
    """A message refused before storing (unparseable, too large, failing a content check): nothing is
    stored, but its refusal is audited in the batch like every other message."""

    header: Header | None
    problem: Problem


@dataclass(frozen=True)
class Stored:
    """What became of one Received: accepted (a new row), duplicate (the row already there) or rejected
    (not stored; `problem` says why and addresses the ACK's ERR)."""

    outcome: str
    problem: Problem | None = None
    message_id: int | None = None


@transaction.atomic
def inbox_store(items: list[Received | Refused], *, listener: str) -> list[Stored]:
    """Store a batch in ONE transaction, with one "adt.received" audit event per message in it; return
    one Stored per item, in order. A sending facility no registration lists is rejected, not stored; a
    Refused item is only audited."""
    names = [_connection_for(item) for item in items]
    rows = {}  # (sender, control_id) -> the row this batch inserts; the first copy inside the batch wins
    for item, name in zip(items, names, strict=True):
        if name is not None:
            rows.setdefault(_key(item), _row(item, name, listener))
    # In key order: two listeners inserting overlapping batches then wait on each other in one order, never
    # in a cycle (a PostgreSQL deadlock).
    inserted = _insert_new([rows[key] for key in sorted(rows)])
    stored = _outcomes(items, names, inserted)
    audit_record_many([_audit(item, name, result) for item, name, result in
                       zip(items, names, stored, strict=True)])  # fmt: skip
    return stored


def _connection_for(item: Received | Refused) -> str | None:
    if isinstance(item, Refused):
        return None
    config = configs.by_facility(item.message.header.sending_facility)
    return config.name if config is not None else None


def _key(item: Received) -> tuple[str, str]:
    return item.message.header.sender, item.message.header.control_id


def _row(item: Received, name: str, listener: str) -> dict:
    header = item.message.header
    return {
        "sender": header.sender,
        "control_id": header.control_id,
        "connection": name,
        "event": item.message.event,
        "message_time": header.message_time,
        "received_at": item.received_at,
        "raw": item.raw,
        "visit_number": item.message.visit_number,
        "accept_ack": header.accept_ack,
        "app_ack": header.app_ack,
        "listener": listener,
        "status": PENDING,
    }


def _insert_new(rows: list[dict]) -> dict[tuple[str, str], int]:
    """Insert the rows whose key is not stored yet; the keys and ids of those this statement inserted."""
    if not rows:
        return {}
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35: no RETURNING
        return _insert_new_then_read_back(rows)
    # One statement, no model instances: the listener's hot path (bench/README.md, "Where the time goes").
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: `connection` is a proxy, read on every use
    fields = [field for field in InboundMessage._meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    params = []
    for row in rows:
        values = {**defaults, **row}
        params += [field.get_db_prep_save(values[field.attname], db) for field in fields]
    quote = db.ops.quote_name
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(InboundMessage._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([one_row] * len(rows))} "
        "ON CONFLICT (sender, control_id) DO NOTHING RETURNING id, sender, control_id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {(sender, control_id): pk for pk, sender, control_id in cursor.fetchall()}


def _insert_new_then_read_back(rows: list[dict]) -> dict[tuple[str, str], int]:
    InboundMessage.objects.bulk_create([InboundMessage(**row) for row in rows], ignore_conflicts=True)
    # No word on which rows were skipped: a row is this batch's when it carries this batch's listener and
    # received_at (another listener, or an earlier batch, stored the others).
    ours = {(row["sender"], row["control_id"]): (row["listener"], row["received_at"]) for row in rows}
    found = InboundMessage.objects.filter(control_id__in={row["control_id"] for row in rows})
    return {
        (sender, control_id): pk
        for pk, sender, control_id, listener, received_at in found.values_list(
            "pk", "sender", "control_id", "listener", "received_at"
        )
        if ours.get((sender, control_id)) == (listener, received_at)
    }


def _outcomes(items, names, inserted: dict[tuple[str, str], int]) -> list[Stored]:
    keys = {_key(item) for item, name in zip(items, names, strict=True) if name is not None}
    earlier = _stored_ids(keys - inserted.keys())
    claimed: set[tuple[str, str]] = set()
    results = []
    for item, name in zip(items, names, strict=True):
        if name is None:
            problem = item.problem if isinstance(item, Refused) else checks.UNKNOWN_FACILITY
            results.append(Stored(REJECTED, problem))
            continue
        key = _key(item)
        if key in inserted and key not in claimed:  # a second copy in the same batch is a duplicate
            claimed.add(key)
            results.append(Stored(ACCEPTED, None, inserted[key]))
        else:
            results.append(Stored(DUPLICATE, None, inserted.get(key) or earlier[key]))
    return results


def _stored_ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The ids of rows stored before this batch (by an earlier batch or another listener)."""
    if not keys:
        return {}
    found = InboundMessage.objects.filter(control_id__in={key[1] for key in keys})
    return {
        (sender, control_id): pk
        for pk, sender, control_id in found.values_list("pk", "sender", "control_id")
        if (sender, control_id) in keys
    }


def _audit(item: Received | Refused, name: str | None, stored: Stored) -> dict:
    # Control id, event, registration and a fixed reason code: never the message's content (PHI).
    header = item.header if isinstance(item, Refused) else item.message.header
    detail = {
        "control_id": header.control_id[:64] if header else "",
        "event": _event(item),
        "connection": name or "",
        "reason": stored.problem.reason if stored.problem else "",
    }
    return {"action": AUDIT_ACTION, "outcome": stored.outcome, "detail": detail}


def _event(item: Received | Refused) -> str:
    if isinstance(item, Received):
        return item.message.event
    return item.header.trigger_event[:8] if item.header else ""
