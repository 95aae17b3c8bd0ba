"""The coordinator's review of parked ADT messages: what each says of its patient (read from the stored
message: the coordinator may see PHI), and the two ways out: match again, or link to a FHIR Patient."""

from dataclasses import dataclass
from datetime import datetime

from smartapp.ehr.configs import by_name
from smartapp.ehr.ids import is_fhir_id
from smartapp.referrals.credentials import sync_client

from .contents import AdtMessage, Header
from .matching import match_record, search_keys
from .models import PARKED, PENDING, InboundMessage
from .outcomes import reason_words
from .parse import Unparseable, parse_message
from .process import ProcessReport, adt_reprocess

PAGE_LIMIT = 200


class LinkRefused(Exception):
    """The Patient id is no FHIR id, the EHR has no such Patient, or the message has no identifier to
    record the link under. Fixed messages, no PHI."""


@dataclass(frozen=True)
class ParkedRow:
    pk: int
    received_at: datetime
    event: str
    control_id: str
    reason: str
    patient_name: str
    birth_date: str
    identifiers: tuple[str, ...]  # "value (authority, type)"


def parked_messages(connections) -> list[ParkedRow]:
    """The parked messages of these connections, oldest first (at most PAGE_LIMIT)."""
    rows = InboundMessage.objects.filter(connection__in=list(connections), status=PARKED)
    return [_row(row) for row in rows.order_by("received_at", "pk")[:PAGE_LIMIT]]


def parked_count(connections) -> int:
    """How many messages of these connections wait for review."""
    return InboundMessage.objects.filter(connection__in=list(connections), status=PARKED).count()


def parked_message(connections, pk: int) -> InboundMessage | None:
    """The parked message `pk` of one of these connections, else None."""
    return InboundMessage.objects.filter(pk=pk, connection__in=list(connections), status=PARKED).first()


def match_again(message: InboundMessage) -> ProcessReport:
    """Search the EHR for the patient of `message`'s visit now (its parked messages with it)."""
    return adt_reprocess(_visit_ids(message))


def patient_link(message: InboundMessage, *, patient_id: str) -> ProcessReport:
    """Record the coordinator's link of `message`'s identifier to Patient `patient_id`, after reading
    that Patient at the EHR (EhrError propagates), and process the visit's parked messages with it."""
    config = by_name(message.connection)
    parsed = _parsed(message)
    keys = search_keys(parsed.identifiers, config.adt.identifier_systems if config and config.adt else {})
    if not is_fhir_id(patient_id) or config is None or not keys:
        raise LinkRefused("This message cannot be linked to that patient.")
    found = sync_client(config, max_pages=1).read("Patient", patient_id)
    match_record(connection=message.connection, identifier=keys[0], patient_ref=f"Patient/{found['id']}")
    return adt_reprocess(_visit_ids(message))


def _visit_ids(message: InboundMessage) -> list[int]:
    if not message.visit_number:
        return [message.pk]
    visit = InboundMessage.objects.filter(
        connection=message.connection, visit_number=message.visit_number, status__in=(PARKED, PENDING)
    )
    return list(visit.values_list("pk", flat=True))


def _row(row: InboundMessage) -> ParkedRow:
    message = _parsed(row)
    return ParkedRow(
        pk=row.pk,
        received_at=row.received_at,
        event=row.event,
        control_id=row.control_id,
        reason=reason_words(row.reason),
        patient_name=message.patient_name,
        birth_date=message.birth_date,
        identifiers=tuple(_identifier(cx) for cx in message.identifiers),
    )


def _identifier(cx) -> str:
    said = ", ".join(part for part in (cx.authority, cx.type_code) if part)
    return f"{cx.value} ({said})" if said else cx.value


def _parsed(row: InboundMessage) -> AdtMessage:
    try:
        return parse_message(bytes(row.raw))
    except Unparseable as error:
        return AdtMessage(header=error.header or Header())
