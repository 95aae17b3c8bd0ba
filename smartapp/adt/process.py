"""Processing stored ADT messages: claim what is due, fold each visit, match its patient, update the worklist.

Safe to run from several processes at once (two listeners and a Celery worker): rows are claimed with a
conditional UPDATE that holds until `claimed_until` (STYLE.md 3), so a crashed run's claim lapses by
itself. A visit is re-derived from ALL its stored messages in (MSH-7, id) order inside the transaction
that writes its effect, with the visit's rows locked (PostgreSQL; SQLite's IMMEDIATE transactions
serialise writers), so that whichever run commits last writes the state of every message stored: arrival
order, a second run and a redelivery change nothing. docs/adt-processing.md.

Each stored message is parsed once per process, not once per run (parse_cache.py).
"""

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smartapp.audit.services import audit_record_many
from smartapp.ehr import configs
from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals.store import configured_rules

from . import outcomes
from .contents import UPDATE, AdtMessage
from .fold import visit_fold
from .matching import patient_match
from .models import IGNORED, PARKED, PENDING, PROCESSED, InboundMessage
from .parse_cache import ParseCache
from .visits import visit_apply
from .zones import feed_zone

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a run holds its claim this long; a crashed run's rows are due again after
BACKOFF_FIRST, BACKOFF_MAX = 30, 3600  # seconds before another try when the EHR was unavailable
TEST_OR_DEBUG = ("T", "D")  # MSH-11 processing ids (HL7 table 0103): never put on a worklist
CLOCK_SKEW = timedelta(hours=1)  # MSH-7 this far from the message's arrival: a zone is likely wrong


@dataclass
class ProcessReport:
    """How many claimed messages ended processed, parked, ignored, or pending for another try (retry)."""

    processed: int = 0
    parked: int = 0
    ignored: int = 0
    retry: int = 0


def adt_process_pending(*, limit: int = 200, holder: str = "", now: datetime | None = None) -> ProcessReport:
    """Claim up to `limit` due messages (pending and not waiting for a retry, or parked whose retry is
    due), process them visit by visit in MSH-7 order, and count the outcomes. `holder` names the caller
    in the claim (a listener's id); a random one when "". Safe to call concurrently."""
    now = now or timezone.now()
    return _process(messages_claim(due_filter(now), limit=limit, holder=holder, now=now), now=now)


def adt_reprocess(message_ids: list[int], *, now: datetime | None = None) -> ProcessReport:
    """Process these messages now (a coordinator linked their patient), whatever their status, unless
    processed, ignored or claimed by a run in progress."""
    now = now or timezone.now()
    wanted = Q(pk__in=message_ids, status__in=(PENDING, PARKED))
    return _process(messages_claim(wanted, limit=len(message_ids), holder="review", now=now), now=now)


def due_filter(now: datetime) -> Q:
    """Messages due for processing at `now`."""
    waiting = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (Q(status=PENDING) & waiting) | Q(status=PARKED, next_attempt_at__lte=now)


def messages_claim(wanted: Q, *, limit: int, holder: str, now: datetime) -> list[InboundMessage]:
    """Claim up to `limit` unclaimed rows matching `wanted` with one conditional UPDATE; returns those
    this call holds (another caller's concurrent claim takes the others)."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ids = list(
        InboundMessage.objects.filter(wanted & free)
        .order_by("message_time", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    token, until = f"{holder[:15]}.{secrets.token_hex(8)}" if holder else secrets.token_hex(8), now + LEASE
    InboundMessage.objects.filter(free, wanted, pk__in=ids).update(claimed_by=token, claimed_until=until)
    mine = InboundMessage.objects.filter(pk__in=ids, claimed_by=token, claimed_until=until)
    return list(mine.order_by("message_time", "pk"))


parse_cache = ParseCache()
# Within a run, each stored message's parse by row id, however often its visit is read (and whatever the
# process-wide cache dropped meanwhile).
Parsed = dict[int, AdtMessage | None]


def _process(claimed: list[InboundMessage], *, now: datetime) -> ProcessReport:
    report, parsed = ProcessReport(), {}
    visits = defaultdict(list)
    for row in claimed:
        visits[row.connection, row.visit_number or f"#{row.pk}"].append(row)
    for rows in visits.values():
        try:
            counts = _visit_process(rows, now=now, parsed=parsed)
        except Exception as error:  # one poison visit must not stop the others; retried later
            logger.error("adt.visit_failed error=%s", type(error).__name__)
            counts = _retry(rows, now=now, retry_after=None)
        for outcome, count in counts.items():
            setattr(report, outcome, getattr(report, outcome) + count)
    return report


def _visit_process(rows: list[InboundMessage], *, now: datetime, parsed: Parsed) -> dict[str, int]:
    """The outcome counts of one visit's claimed rows."""
    ignored = _ignore(rows, now=now, parsed=parsed)
    _clock_check(rows, parsed=parsed)
    rows = [row for row in rows if row.pk not in ignored]
    counts = {"ignored": len(ignored)}
    config = configs.by_name(rows[0].connection) if rows else None
    if not rows:
        return counts
    if config is None:
        return counts | _park(rows, reason=outcomes.NO_REGISTRATION, now=now)
    visit = visit_fold(_visit_messages(rows, parsed=parsed))
    try:
        match = patient_match(config=config, identifiers=visit.patient.identifiers)
    except EhrUnavailable as error:
        return counts | _retry(rows, now=now, retry_after=error.retry_after)
    if not match.patient_ref:
        return counts | _park(rows, reason=match.reason, now=now)
    return counts | _apply(rows, patient_ref=match.patient_ref, now=now, parsed=parsed)


def _apply(rows: list[InboundMessage], *, patient_ref: str, now: datetime, parsed: Parsed) -> dict[str, int]:
    connection, today = rows[0].connection, timezone.localdate(now)
    with transaction.atomic():
        # Read again under the visit's lock: a message stored since the match is folded too.
        visit = visit_fold(_visit_messages(rows, parsed=parsed, lock=True))
        referral_id = visit_apply(
            connection=connection, visit=visit, patient_ref=patient_ref, today=today, rules=configured_rules()
        )
        _finish(rows, status=PROCESSED, reason="", patient_ref=patient_ref, referral_id=referral_id, now=now)
    return {"processed": len(rows)}


def _park(rows: list[InboundMessage], *, reason: str, now: datetime) -> dict[str, int]:
    """Parked for a coordinator (never dropped), and matched again after ADT_PARKED_RETRY_SECONDS."""
    retry_at = now + timedelta(seconds=settings.ADT_PARKED_RETRY_SECONDS)
    with transaction.atomic():
        _finish(rows, status=PARKED, reason=reason, patient_ref="", next_at=retry_at, now=now)
    return {"parked": len(rows)}


def _retry(rows: list[InboundMessage], *, now: datetime, retry_after: float | None) -> dict[str, int]:
    """Pending again after a backoff (the EHR's Retry-After, else doubling from BACKOFF_FIRST)."""
    with transaction.atomic():
        for row in rows:
            delay = retry_after or min(BACKOFF_FIRST * 2**row.attempts, BACKOFF_MAX)
            _mine(row).update(
                attempts=min(row.attempts + 1, 32767),
                next_attempt_at=now + timedelta(seconds=delay),
                claimed_by="",
                claimed_until=None,
            )
        _audit(rows, outcome="retry", reason="ehr_unavailable", patient_ref="")
    return {"retry": len(rows)}


def _ignore(rows: list[InboundMessage], *, now: datetime, parsed: Parsed) -> set[int]:
    """Mark the rows smartapp does nothing with as ignored, each with its reason; returns their ids."""
    zone = feed_zone(rows[0].connection) if rows else ""
    reasons = {row.pk: _ignore_reason(row, _parsed(row.pk, row.raw, parsed, zone)) for row in rows}
    ignored = [row for row in rows if reasons[row.pk]]
    with transaction.atomic():
        for row in ignored:
            _finish([row], status=IGNORED, reason=reasons[row.pk], patient_ref="", now=now)
    return {row.pk for row in ignored}


def _finish(
    rows, *, status: str, reason: str, patient_ref: str, now: datetime, referral_id=None, next_at=None
):
    """Write the outcome on the rows this run still holds, with their audit events (same transaction)."""
    for row in rows:
        _mine(row).update(
            status=status,
            reason=reason,
            patient_ref=patient_ref,
            referral_id=referral_id,
            processed_at=now,
            next_attempt_at=next_at,
            app_ack_code=row.app_ack_code
            if row.app_ack_sent_at
            else outcomes.app_ack_code(row.app_ack, status),
            claimed_by="",
            claimed_until=None,
        )
    _audit(rows, outcome=status, reason=reason, patient_ref=patient_ref)


def _mine(row: InboundMessage):
    """The row, while this run's claim on it holds (a lapsed claim taken over is the other run's)."""
    return InboundMessage.objects.filter(
        pk=row.pk, claimed_by=row.claimed_by, claimed_until=row.claimed_until
    )


def _audit(rows, *, outcome: str, reason: str, patient_ref: str) -> None:
    # Control id, event, registration and a fixed reason code: never the message's content (PHI).
    audit_record_many([
        {
            "action": "adt.processed",
            "outcome": outcome,
            "patient_ref": patient_ref.partition("/")[2],
            "detail": {
                "message": row.pk,
                "control_id": row.control_id[:64],
                "event": row.event,
                "connection": row.connection,
                "reason": reason,
            },
        }
        for row in rows
    ])  # fmt: skip


def _visit_messages(
    rows: list[InboundMessage], *, parsed: Parsed, lock: bool = False
) -> list[tuple[int, AdtMessage]]:
    """(id, message) of every production message stored for the rows' visit (the rows alone without a
    visit number), the rows themselves included."""
    first = rows[0]
    if not first.visit_number:
        stored = InboundMessage.objects.filter(pk__in=[row.pk for row in rows])
    else:
        stored = InboundMessage.objects.filter(connection=first.connection, visit_number=first.visit_number)
        stored = stored.exclude(status=IGNORED)
    if lock:
        stored = stored.select_for_update()
    # Only the id and the bytes: a visit's hundreds of rows are not built as model instances each run.
    zone, rows_read = feed_zone(first.connection), stored.order_by("pk").values_list("pk", "raw")
    pairs = [(pk, _parsed(pk, raw, parsed, zone)) for pk, raw in rows_read]
    return [(pk, message) for pk, message in pairs if message is not None and not _test_message(message)]


def _parsed(pk: int, raw, parsed: Parsed, zone: str) -> AdtMessage | None:
    if pk not in parsed:
        parsed[pk] = parse_cache.parse(bytes(raw), zone=zone)
    return parsed[pk]


def _clock_check(rows: list[InboundMessage], *, parsed: Parsed) -> None:
    """Warn (counts only) when messages say they were sent over CLOCK_SKEW before or after they arrived: an
    engine sends within seconds, so this is the sign of times sent without an offset and read in the wrong
    zone (a US hospital's wall clock read as UTC is hours behind), which orders them wrongly against
    offset-carrying messages and refuses their A08s as older than a FHIR read; or, behind, of an engine
    replaying a queue after an outage."""
    skews = [
        message.header.message_time - row.received_at
        for row in rows
        if (message := parsed.get(row.pk)) is not None and message.header.message_time is not None
    ]
    for direction, count in (
        ("ahead", sum(skew > CLOCK_SKEW for skew in skews)),
        ("behind", sum(skew < -CLOCK_SKEW for skew in skews)),
    ):
        if count:
            logger.warning(
                "adt.msh7_%s connection=%s count=%d hint=check_the_registrations_adt_time_zone",
                direction,
                rows[0].connection,
                count,
            )


def _ignore_reason(row: InboundMessage, message: AdtMessage | None) -> str:
    if message is None:
        return outcomes.UNPARSEABLE
    if _test_message(message):
        return outcomes.NOT_PRODUCTION
    if not row.visit_number and message.event != UPDATE:
        return outcomes.NO_VISIT_NUMBER
    return ""


def _test_message(message: AdtMessage) -> bool:
    return message.header.processing_id[:1].upper() in TEST_OR_DEBUG
