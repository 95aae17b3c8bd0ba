"""The sandbox's ADT feed: services that send a visit's messages, and the two ward actions (admit,
discharge) that change an Encounter and then announce it, after the change is committed."""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import stays, wire
from .messages import Visit, adt_message
from .mllp import ClientOptions, Delivery, MllpClient, Outgoing

logger = logging.getLogger(__name__)

# out_of_order sends the visit's next event (later MSH-7) before the one asked for: A13 cancels an A03,
# A11 an A01 (HL7 v2.5.1 3.3.13, 3.3.11); other events are followed by an A08 update.
FOLLOW_UPS = {"A01": "A11", "A03": "A13"}


@dataclass
class FeedOutcome:
    """What a ward action did: the Encounter it changed and the deliveries of its message (filled after the
    commit; empty when the feed is off or the send failed, then `error` says why)."""

    encounter_id: str
    deliveries: list[Delivery] = field(default_factory=list)
    error: str = ""


def adt_send(
    *,
    event: str,
    patient_id: str,
    encounter_id: str = "",
    faults: frozenset[str] = frozenset(),
    count: int = 1,
    target: str = "",
    now: datetime | None = None,
) -> list[Delivery]:
    """Send `count` `event` messages about the Encounter (default: the patient's latest inpatient stay, made
    when there is none) to `target` ("host:port", default settings.SANDBOX_ADT_TARGET); one Delivery each."""
    wire.check(faults)
    now = now or timezone.now()
    if encounter_id:
        encounter = stays.load("Encounter", encounter_id)
    else:
        encounter = stays.stay_for_send(patient_id=patient_id, now=now)
    visit = stays.visit_of(encounter)
    if patient_id and visit.patient["id"] != patient_id:
        raise stays.StayError("the Encounter belongs to another patient")
    messages = [_outgoing(event, visit, now + timedelta(milliseconds=n)) for n in range(max(count, 1))]
    if wire.OUT_OF_ORDER in faults:
        messages.append(_outgoing(FOLLOW_UPS.get(event, "A08"), visit, now + timedelta(minutes=1)))
    return _client(target).deliver(messages, faults=faults)


def encounter_discharge(*, encounter_id: str, now: datetime | None = None, target: str = "") -> FeedOutcome:
    """End an in-progress inpatient Encounter (saved through the store) and, after the commit, send its A03
    when the feed is on. A send failure is reported in the outcome, never raised."""
    now = now or timezone.now()
    with transaction.atomic():
        encounter = stays.stay_end(encounter_id=encounter_id, now=now)
        outcome = FeedOutcome(encounter["id"])
        transaction.on_commit(lambda: _announce(outcome, "A03", encounter, now, target))
    return outcome


def encounter_admit(*, patient_id: str, now: datetime | None = None, target: str = "") -> FeedOutcome:
    """Open an in-progress inpatient Encounter for the patient and, after the commit, send its A01."""
    now = now or timezone.now()
    with transaction.atomic():
        encounter = stays.stay_open(patient_id=patient_id, now=now)
        outcome = FeedOutcome(encounter["id"])
        transaction.on_commit(lambda: _announce(outcome, "A01", encounter, now, target))
    return outcome


def _announce(outcome: FeedOutcome, event: str, encounter: dict, now: datetime, target: str) -> None:
    if not settings.SANDBOX_ADT_ENABLED:
        outcome.error = "feed_disabled"
        return
    try:
        outcome.deliveries = _client(target).deliver([_outgoing(event, stays.visit_of(encounter), now)])
    except Exception:  # the ward action is committed whatever becomes of its message
        logger.warning("sandbox ADT send failed", extra={"event": event, "reason": "send_failed"})
        outcome.error = "send_failed"
        return
    if not all(d.ack_code for d in outcome.deliveries):
        outcome.error = next(d.error for d in outcome.deliveries if not d.ack_code)


def _outgoing(event: str, visit: Visit, sent_at: datetime) -> Outgoing:
    control_id = f"SBX{secrets.token_hex(6).upper()}"
    return Outgoing(control_id, adt_message(event, visit, control_id=control_id, sent_at=sent_at), sent_at)


def _client(target: str) -> MllpClient:
    host, port = parse_target(target or settings.SANDBOX_ADT_TARGET)
    options = ClientOptions(
        ack_timeout=settings.SANDBOX_ADT_ACK_TIMEOUT, max_attempts=settings.SANDBOX_ADT_MAX_ATTEMPTS
    )
    return MllpClient(host, port, options)


def parse_target(target: str) -> tuple[str, int]:
    """("host", port) from "host:port" or "[::1]:port"; ValueError when it is neither."""
    host, colon, port = target.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise ValueError("the ADT target must be host:port")
    return host.strip("[]"), int(port)
