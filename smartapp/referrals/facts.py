"""The facts follow-up tracking reasons about: small frozen dataclasses, free of Django and of FHIR JSON.

Mappers build them from FHIR resources, the store builds them from rows, and the state function and the
inferred matching read only them.
"""

from dataclasses import dataclass
from datetime import date, datetime

REFERRAL = "referral"
ADT_VISIT_PREFIX = "adt-visit/"  # fhir_ref of a visit known only from the ADT feed, until FHIR brings it


def from_adt_feed(fhir_ref: str) -> bool:
    """Known only from the hospital's ADT feed so far: the FHIR sync has not brought its Encounter."""
    return fhir_ref.startswith(ADT_VISIT_PREFIX)


DISCHARGE = "discharge"

TASK, APPOINTMENT, ENCOUNTER, NOTE = "task", "appointment", "encounter", "note"
EVIDENCE_KINDS = (TASK, APPOINTMENT, ENCOUNTER, NOTE)

# How a piece of evidence is tied to a referral. The first three are the resource's own references;
# ENCOUNTER_LINK: a note written in an encounter that is itself based on the referral.
BASED_ON, FOCUS, RELATED, ENCOUNTER_LINK, INFERRED = "based_on", "focus", "related", "encounter", "inferred"
OWN_LINKS = (BASED_ON, FOCUS, RELATED)
DERIVED_LINKS = (ENCOUNTER_LINK, INFERRED)

CONSULT_NOTE_LOINC = "11488-4"
HOSPITAL_CLASSES = frozenset({"IMP", "EMER", "ACUTE"})  # v3 ActCode: inpatient, emergency, inpatient acute


@dataclass(frozen=True)
class Version:
    """A resource's meta.lastUpdated and meta.versionId, as far as the server gave them."""

    last_updated: datetime | None = None
    version_id: str = ""


@dataclass(frozen=True)
class ReferralFacts:
    """A follow-up expectation: a referral (ServiceRequest) or a discharge (finished hospital Encounter)."""

    fhir_ref: str  # "ServiceRequest/<id>", or "Encounter/<id>" for a discharge
    kind: str = REFERRAL
    # ServiceRequest.status; for a discharge, Encounter.status: finished, cancelled or entered-in-error
    request_status: str = "active"
    patient_ref: str = ""
    patient_display: str = ""
    requester_ref: str = ""  # for a discharge, the stay's first practitioner
    requester_display: str = ""  # a name, never a reference ("" when none is known)
    performer_ref: str = ""
    performer_display: str = ""
    specialty_code: str = ""
    specialty_display: str = ""
    reason: str = ""
    authored_on: date | None = None
    due_date: date | None = None
    follow_up_rule: str = ""  # the follow_up_rules.py rule that set due_date and the matching window
    visit_number: str = ""  # a discharge's visit number (PV1-19 / Encounter.identifier): merges ADT and FHIR
    version: Version = Version()


@dataclass(frozen=True)
class EvidenceFacts:
    """One Task, Appointment, Encounter or consult note that may show a referral was followed up."""

    kind: str
    fhir_ref: str  # "Appointment/<id>"
    status: str = ""
    business_status: str = ""  # Task.businessStatus, shown to people; vendors disagree on its values
    date: datetime | None = None
    performer_ref: str = ""  # Task owner, Appointment/Encounter practitioner, note author
    performer_display: str = ""
    specialty_code: str = ""
    specialty_text: str = ""
    patient_ref: str = ""
    type_code: str = ""  # a note's LOINC type, an encounter's class
    via_ref: str = ""  # the Encounter a note was written in
    targets: tuple[tuple[str, str], ...] = ()  # the resource's own (ServiceRequest ref, link) pairs
    link: str = ""  # how it is tied to the referral at hand (set when read back for one referral)
    visit_number: str = ""  # an Encounter's visit number (PV1-19 / Encounter.identifier)
    version: Version = Version()


def version_order(new: Version, old: Version) -> int | None:
    """1 if `new` is newer than `old`, 0 if the same version, -1 if older; None when it cannot be told.

    meta.lastUpdated decides; a numeric versionId breaks ties and orders versions without a lastUpdated.
    """
    if new.last_updated and old.last_updated and new.last_updated != old.last_updated:
        return 1 if new.last_updated > old.last_updated else -1
    if new.last_updated and old.last_updated is None and not old.version_id:
        return 1
    if new.version_id.isdigit() and old.version_id.isdigit():
        return (int(new.version_id) > int(old.version_id)) - (int(new.version_id) < int(old.version_id))
    if new.version_id and new.version_id == old.version_id:
        return 0
    if new.last_updated and new.last_updated == old.last_updated:
        return 0 if not (new.version_id or old.version_id) else None
    return None
