"""What a visit is now, from all its ADT messages folded in MSH-7 order. Pure: no I/O, no Django.

The processing re-derives a visit from every message stored for it, not only the new ones, so that
messages arriving out of order give the state they would have given in order, and a message folded twice
changes nothing. What each event does: HL7 v2.5.1 ch. 3 (https://www.hl7.eu/HL7v2x/v251/std251/ch03.html),
summarised in docs/adt-processing.md.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from .contents import (
    ADMIT,
    CANCEL_ADMIT,
    CANCEL_DISCHARGE,
    DISCHARGE,
    REGISTER,
    AdtMessage,
    Diagnosis,
    PatientIdentifier,
    Person,
)

# A visit's status after its messages: never seen admitted, admitted/registered, discharged, cancelled.
UNKNOWN, IN_PROGRESS, FINISHED, CANCELLED = "", "in-progress", "finished", "cancelled"
# PV1-2 patient class (HL7 table 0004) -> Encounter.class (v3 ActCode). B obstetrics, C commercial
# account, N not applicable and U unknown say nothing about the setting: no class.
CLASSES = {"I": "IMP", "E": "EMER", "O": "AMB", "R": "AMB", "P": "PRENC"}


@dataclass(frozen=True)
class Patient:
    """The patient as the visit's messages last described them (A08 updates these)."""

    identifiers: tuple[PatientIdentifier, ...] = ()
    name: str = ""
    birth_date: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Visit:
    """One visit after its messages. `ever_discharged`: an A03 was folded, even if a later A13 or A11
    took it back (its follow-up then exists, cancelled). `version`: how many messages were folded, which
    only grows, so that a late message with an older MSH-7 still makes a newer version."""

    visit_number: str = ""
    status: str = UNKNOWN
    encounter_class: str = ""
    admitted_at: datetime | None = None  # PV1-44 as last sent
    registered_at: datetime | None = None  # the first A01/A04's EVN-2, else its MSH-7
    discharged_at: datetime | None = None
    ever_discharged: bool = False
    attending: Person = Person()
    diagnoses: tuple[Diagnosis, ...] = ()
    patient: Patient = Patient()
    newest_time: datetime | None = None  # the newest MSH-7 folded
    version: int = 0
    events: tuple[str, ...] = field(default=())


def visit_fold(messages: Iterable[tuple[int, AdtMessage]]) -> Visit:
    """Fold `messages` ((stored id, message) pairs of one visit, in any order) in (MSH-7, id) order."""
    ordered = sorted(messages, key=lambda pair: (_moment(pair[1]), pair[0]))
    visit = Visit()
    for _, message in ordered:
        visit = _apply(visit, message)
    return visit


def _moment(message: AdtMessage) -> tuple[int, datetime | None]:
    # A message without MSH-7 (a sender that leaves it empty) goes first, then the id decides.
    time = message.header.message_time
    return (0, None) if time is None else (1, time)  # type: ignore[return-value]


def _apply(visit: Visit, message: AdtMessage) -> Visit:
    visit = _described(visit, message)
    event = message.event
    if event in (ADMIT, REGISTER):
        registered = visit.registered_at or message.event_time or message.header.message_time
        visit = replace(visit, registered_at=registered)
    if event in (ADMIT, REGISTER) and visit.status in (UNKNOWN, CANCELLED):
        # An admit re-sent after the discharge does not reopen the stay: only an A13 does.
        visit = replace(visit, status=IN_PROGRESS)
    elif event == DISCHARGE:
        ended = message.discharged_at or message.event_time or message.header.message_time
        visit = replace(visit, status=FINISHED, discharged_at=ended, ever_discharged=True)
    elif event == CANCEL_DISCHARGE and visit.status == FINISHED:
        visit = replace(visit, status=IN_PROGRESS)
    elif event == CANCEL_ADMIT:
        visit = replace(visit, status=CANCELLED)
    return visit


def _described(visit: Visit, message: AdtMessage) -> Visit:
    """What every message says of the patient and the visit: the latest non-empty value wins."""
    patient = visit.patient
    patient = Patient(
        identifiers=message.identifiers or patient.identifiers,
        name=message.patient_name or patient.name,
        birth_date=message.birth_date or patient.birth_date,
        phone=message.phone or patient.phone,
    )
    time = message.header.message_time
    newest = max((t for t in (visit.newest_time, time) if t is not None), default=None)
    return replace(
        visit,
        visit_number=message.visit_number or visit.visit_number,
        encounter_class=CLASSES.get(message.patient_class.upper(), visit.encounter_class),
        admitted_at=message.admitted_at or visit.admitted_at,
        attending=message.attending if message.attending.id or message.attending.name else visit.attending,
        diagnoses=message.diagnoses or visit.diagnoses,
        patient=patient,
        newest_time=newest,
        version=visit.version + 1,
        events=(*visit.events, message.event),
    )


def follow_up_status(visit: Visit) -> str | None:
    """The discharge's Encounter.status for its follow-up: "finished" while discharged, "cancelled" once an
    A13 or A11 took the discharge back (a later A03 discharges again); None when never discharged."""
    if not visit.ever_discharged:
        return None
    return FINISHED if visit.status == FINISHED else CANCELLED
