"""The durable inbox: a batch of received ADT messages committed in one transaction, before any ACK leaves
(STYLE.md 13, store then acknowledge). One transaction per batch is one fsync for the whole batch: what lets
a listener keep up with an interface engine's burst (listener.py group-commits into it).

A message is keyed by (sender, MSH-10): a resend of a message already stored, or a second copy inside the
same batch, is a duplicate: ACKed AA again, never stored or processed twice (HL7 v2.5.1 2.10.2, "the
receiving system ... uses the message control id to detect duplicates").
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from smartapp.adt import checks
from smartapp.adt.checks import Problem
from smartapp.adt.contents import AdtMessage, Header
from smartapp.adt.models import PENDING, InboundMessage
from smartapp.audit.services import audit_record_many
from smartapp.ehr import configs

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
AUDIT_ACTION = "adt.received"


@dataclass
class Received:
    """A message read off a connection that passed the content checks, waiting to be stored."""

    raw: bytes
    message: AdtMessage
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
    connections = [_connection_for(item) for item in items]
    rows = {}  # (sender, control_id) -> the row this batch inserts; the first copy inside the batch wins
    for item, connection in zip(items, connections, strict=True):
        if connection is not None:
            rows.setdefault(_key(item), _row(item, connection, listener))
    # In key order: two listeners inserting overlapping batches then wait on each other in one order, never
    # in a cycle (a PostgreSQL deadlock).
    InboundMessage.objects.bulk_create([rows[key] for key in sorted(rows)], ignore_conflicts=True)
    stored = _outcomes(items, connections, rows, listener)
    audit_record_many([_audit(item, connection, result) for item, connection, result in
                       zip(items, connections, stored, strict=True)])  # fmt: skip
    return stored


def _connection_for(item: Received | Refused) -> str | None:
    if isinstance(item, Refused):
        return None
    config = configs.by_facility(item.message.header.sending_facility)
    return config.name if config is not None else None


def _key(item: Received) -> tuple[str, str]:
    return item.message.header.sender, item.message.header.control_id


def _row(item: Received, connection: str, listener: str) -> InboundMessage:
    header = item.message.header
    return InboundMessage(
        sender=header.sender,
        control_id=header.control_id,
        connection=connection,
        event=item.message.event,
        message_time=header.message_time,
        received_at=item.received_at,
        raw=item.raw,
        visit_number=item.message.visit_number,
        accept_ack=header.accept_ack,
        app_ack=header.app_ack,
        listener=listener,
        status=PENDING,
    )


def _outcomes(items, connections, rows, listener: str) -> list[Stored]:
    # bulk_create(ignore_conflicts=True) gives back no ids and no word on which rows it skipped: read the
    # keys back. A row is this batch's when it carries this listener and this item's received_at; another
    # listener (or an earlier batch) stored the others.
    found = InboundMessage.objects.filter(control_id__in={key[1] for key in rows}).only(
        "pk", "sender", "control_id", "listener", "received_at"
    )
    existing = {(row.sender, row.control_id): row for row in found if (row.sender, row.control_id) in rows}
    claimed: set[tuple[str, str]] = set()
    results = []
    for item, connection in zip(items, connections, strict=True):
        if connection is None:
            problem = item.problem if isinstance(item, Refused) else checks.UNKNOWN_FACILITY
            results.append(Stored(REJECTED, problem))
            continue
        key, row = _key(item), existing[_key(item)]
        ours = row.listener == listener and row.received_at == item.received_at and key not in claimed
        claimed.add(key)
        results.append(Stored(ACCEPTED if ours else DUPLICATE, None, row.pk))
    return results


def _audit(item: Received | Refused, connection: str | None, stored: Stored) -> dict:
    # Control id, event, registration and a fixed reason code: never the message's content (PHI).
    header = item.header if isinstance(item, Refused) else item.message.header
    detail = {
        "control_id": header.control_id[:64] if header else "",
        "event": _event(item),
        "connection": connection or "",
        "reason": stored.problem.reason if stored.problem else "",
    }
    return {"action": AUDIT_ACTION, "outcome": stored.outcome, "detail": detail}


def _event(item: Received | Refused) -> str:
    if isinstance(item, Received):
        return item.message.event
    return item.header.trigger_event[:8] if item.header else ""
