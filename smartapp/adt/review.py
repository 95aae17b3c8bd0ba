"""The coordinator's review of parked ADT messages: what each says of its patient and visit (read from the
stored message: the coordinator may see PHI), and the ways out: link by the MRN the EHR shows, link by
FHIR Patient id, or match again. Refusals carry fixed words and reason codes, never PHI."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import Page, Paginator

from smartapp.ehr.configs import LaunchConfig, by_name
from smartapp.ehr.errors import EhrBadResponse, EhrForbidden
from smartapp.ehr.ids import is_fhir_id
from smartapp.referrals.credentials import sync_client

from .contents import (
    ADMIT,
    CANCEL_ADMIT,
    CANCEL_DISCHARGE,
    DISCHARGE,
    REGISTER,
    UPDATE,
    AdtMessage,
    Header,
    PatientIdentifier,
)
from .matching import MATCHED, SEVERAL, match_record, replaced_by, search_answer, search_keys
from .models import PARKED, PENDING, InboundMessage
from .outcomes import reason_words
from .parse import Unparseable
from .process import ProcessReport, adt_reprocess
from .zones import feed_zone, parse_in_zone

PAGE_SIZE = 50  # messages a page, as the worklist's
MAX_MRN = 64
EVENT_WORDS = {
    DISCHARGE: "Discharge",
    ADMIT: "Admission",
    REGISTER: "Registration",
    UPDATE: "Update",
    CANCEL_ADMIT: "Admission cancelled",
    CANCEL_DISCHARGE: "Discharge cancelled",
}
MEDICAL_RECORD = "MR"  # CX-5, HL7 table 0203


class LinkRefused(Exception):
    """Nothing was linked: `reason` is a fixed code for the audit, the message fixed words for the page."""

    def __init__(self, reason: str, words: str):
        super().__init__(words)
        self.reason = reason


NO_IDENTIFIER = ("no_identifier", "This message names no patient identifier to record a link under.")
NO_MRN = ("no_mrn", "Enter the patient's MRN as the EHR shows it.")
NO_MRN_SYSTEM = (
    "no_mrn_system",
    "smartapp does not know the EHR's MRN system for this hospital's identifiers. Link by FHIR Patient id.",
)
NO_PATIENT_WITH_MRN = (
    "no_patient",
    "No patient at the EHR has that MRN. Nothing was linked: check the MRN as the EHR shows it.",
)
SEVERAL_WITH_MRN = (
    "several_patients",
    "Several patients at the EHR have that MRN, so smartapp cannot tell which one is meant. Nothing was "
    "linked: link by FHIR Patient id instead.",
)
MRN_SEARCH_REFUSED = ("ehr_refused", "The EHR refused the search by MRN. Nothing was linked.")
NOT_A_PATIENT_ID = ("not_fhir_id", "That is not a FHIR Patient id. Nothing was linked.")
NO_PATIENT_WITH_ID = ("no_patient", "The EHR has no patient with that id. Nothing was linked.")


@dataclass(frozen=True)
class ParkedRow:
    pk: int
    received_at: datetime
    event: str  # "A03"
    event_words: str  # "Discharge"
    control_id: str
    reason: str
    patient_name: str
    birth_date: date | None
    identifiers: tuple[str, ...]  # "MRN SBX-1 (issued by SBX)"
    visit_number: str
    admitted_at: datetime | None
    discharged_at: datetime | None
    mrn_searchable: bool  # an identifier's authority maps to an EHR Identifier.system


@dataclass(frozen=True)
class Linked:
    """A coordinator's link: the Patient id it was made to, and what processing the visit did."""

    patient_id: str
    report: ProcessReport


@dataclass(frozen=True)
class Resolved:
    """What the page confirms after a message was linked or matched: its patient as sent, and the
    worklist item its visit made (None when it made none, e.g. an admission only)."""

    patient_name: str
    event_words: str
    referral_pk: int | None
    still_waiting: bool


def parked_page(connections, number) -> Page:
    """Page `number` of the parked messages of these connections, oldest first, PAGE_SIZE a page; its
    object_list holds ParkedRows. A number that is no page (absent, not a number, past the last) gives the
    nearest one (Paginator.get_page), so a stale link never fails."""
    rows = InboundMessage.objects.filter(connection__in=list(connections), status=PARKED)
    page = Paginator(rows.order_by("received_at", "pk"), PAGE_SIZE).get_page(number)
    page.object_list = [_row(row) for row in page.object_list]  # only this page's messages are parsed
    return page


def parked_count(connections) -> int:
    """How many messages of these connections wait for review."""
    return InboundMessage.objects.filter(connection__in=list(connections), status=PARKED).count()


def parked_message(connections, pk: int) -> InboundMessage | None:
    """The parked message `pk` of one of these connections, else None."""
    return InboundMessage.objects.filter(pk=pk, connection__in=list(connections), status=PARKED).first()


def match_again(message: InboundMessage) -> ProcessReport:
    """Search the EHR for the patient of `message`'s visit now (its parked messages with it)."""
    return adt_reprocess(_visit_ids(message))


def mrn_link(message: InboundMessage, *, mrn: str) -> Linked:
    """Link `message`'s patient to the one Patient the EHR has with this MRN: searched as
    `Patient?identifier=<system>|<mrn>`, the system mapped (`[adt.identifier_systems]`) from the
    authority of the message's MR identifier, else of its first mapped one. None or several: LinkRefused;
    EhrUnavailable and SyncNotPossible propagate. Nothing is recorded unless exactly one is found (or
    several that stand for one: a merged-away record and its survivor, matching.search_answer)."""
    mrn = mrn.strip()
    if not mrn or len(mrn) > MAX_MRN:
        raise LinkRefused(*NO_MRN)
    config, keys = _link_keys(message)
    key = _mrn_key(_parsed(message).identifiers, _systems(config), mrn)
    if not key:
        raise LinkRefused(*NO_MRN_SYSTEM)
    try:
        found = sync_client(config, max_pages=1).search("Patient", [("identifier", key)], max_pages=1)
    except (EhrBadResponse, EhrForbidden) as error:
        raise LinkRefused(*MRN_SEARCH_REFUSED) from error
    answer = search_answer(key, found.matches, base=config.issuer)  # a merged-away record: its survivor
    if answer.outcome != MATCHED:
        raise LinkRefused(*(SEVERAL_WITH_MRN if answer.outcome == SEVERAL else NO_PATIENT_WITH_MRN))
    return _link(message, identifier=keys[0], patient_id=answer.patient_ref.partition("/")[2])


def patient_link(message: InboundMessage, *, patient_id: str) -> Linked:
    """Link `message`'s patient to Patient `patient_id`, after reading that Patient at the EHR, or to the
    Patient that replaced it when it was merged away (EhrUnavailable and SyncNotPossible propagate)."""
    patient_id = patient_id.strip()
    if not is_fhir_id(patient_id):
        raise LinkRefused(*NOT_A_PATIENT_ID)
    config, keys = _link_keys(message)
    try:
        found = sync_client(config, max_pages=1).read("Patient", patient_id)
    except (EhrBadResponse, EhrForbidden) as error:
        raise LinkRefused(*NO_PATIENT_WITH_ID) from error
    survivor = replaced_by(found, config.issuer)  # a merged-away record: linked to its survivor
    return _link(message, identifier=keys[0], patient_id=survivor.partition("/")[2] or found["id"])


def resolved(connections, pk: int) -> Resolved | None:
    """What became of message `pk` (of these connections) after a link or a match; None if no such."""
    message = InboundMessage.objects.filter(pk=pk, connection__in=list(connections)).first()
    if message is None:
        return None
    visit = InboundMessage.objects.filter(pk__in=_visit_ids(message, every_status=True))
    made = visit.filter(referral__isnull=False).order_by("-message_time", "-pk").first()
    return Resolved(
        patient_name=_parsed(message).patient_name,
        event_words=EVENT_WORDS.get(message.event, message.event),
        referral_pk=made.referral_id if made else None,
        still_waiting=visit.filter(status__in=(PARKED, PENDING)).exists(),
    )


def _link_keys(message: InboundMessage) -> tuple[LaunchConfig, list[str]]:
    """The registration and the identifier searches the link is recorded under (the first one)."""
    config = by_name(message.connection)
    keys = search_keys(_parsed(message).identifiers, _systems(config)) if config else []
    if not keys:
        raise LinkRefused(*NO_IDENTIFIER)
    return config, keys


def _link(message: InboundMessage, *, identifier: str, patient_id: str) -> Linked:
    match_record(connection=message.connection, identifier=identifier, patient_ref=f"Patient/{patient_id}")
    return Linked(patient_id=patient_id, report=adt_reprocess(_visit_ids(message)))


def _systems(config: LaunchConfig | None) -> dict[str, str]:
    return config.adt.identifier_systems if config and config.adt else {}


def _mrn_key(identifiers: tuple[PatientIdentifier, ...], systems: dict[str, str], mrn: str) -> str:
    """The search value ("system|mrn", escaped as search_keys does) in the system of `_mrn_authority`;
    "" when there is none."""
    authority = _mrn_authority(identifiers, systems)
    keys = search_keys((PatientIdentifier(mrn, authority, MEDICAL_RECORD),), systems) if authority else []
    return keys[0] if keys else ""


def _mrn_authority(identifiers: tuple[PatientIdentifier, ...], systems: dict[str, str]) -> str:
    """The authority of the message's MR identifier, else of its first one, among those `systems` maps."""
    mapped = [cx for cx in identifiers if cx.authority in systems]
    records = [cx for cx in mapped if cx.type_code.upper() == MEDICAL_RECORD]
    return (records or mapped)[0].authority if mapped else ""


def _visit_ids(message: InboundMessage, *, every_status: bool = False) -> list[int]:
    if not message.visit_number:
        return [message.pk]
    visit = InboundMessage.objects.filter(connection=message.connection, visit_number=message.visit_number)
    if not every_status:
        visit = visit.filter(status__in=(PARKED, PENDING))
    return list(visit.values_list("pk", flat=True))


def _row(row: InboundMessage) -> ParkedRow:
    message = _parsed(row)
    return ParkedRow(
        pk=row.pk,
        received_at=row.received_at,
        event=row.event,
        event_words=EVENT_WORDS.get(row.event, row.event),
        control_id=row.control_id,
        reason=reason_words(row.reason),
        patient_name=message.patient_name,
        birth_date=_day(message.birth_date),
        identifiers=tuple(identifier_words(cx) for cx in message.identifiers if cx.value),
        visit_number=message.visit_number,
        admitted_at=message.admitted_at,
        discharged_at=message.discharged_at,
        mrn_searchable=bool(_mrn_authority(message.identifiers, _systems(by_name(row.connection)))),
    )


def identifier_words(cx: PatientIdentifier) -> str:
    """A PID-3 identifier as a coordinator reads it: "MRN SBX-1 (issued by SBX)", "SS 123 (issued by
    SSA)", "Id 42" (no type, no authority)."""
    kind = "MRN" if cx.type_code.upper() == MEDICAL_RECORD else (cx.type_code or "Id")
    return f"{kind} {cx.value} (issued by {cx.authority})" if cx.authority else f"{kind} {cx.value}"


def _day(birth_date: str) -> date | None:
    """PID-7 as parse.py keeps it ("YYYY-MM-DD"), as a date; None when absent or not a day."""
    try:
        return date.fromisoformat(birth_date)
    except ValueError:
        return None


def _parsed(row: InboundMessage) -> AdtMessage:
    try:
        return parse_in_zone(bytes(row.raw), feed_zone(row.connection))
    except Unparseable as error:
        return AdtMessage(header=error.header or Header())
