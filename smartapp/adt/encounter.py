"""A folded visit as the FHIR-like Encounter the referrals mappers read. Pure.

Building the Encounter and handing it to smartapp.referrals.mappers (discharge, encounter) keeps one
definition of a discharge follow-up: the due date, the follow-up rule and what counts as a visit are the
FHIR sync's, whichever way the stay became known.
"""

from datetime import datetime

from smartapp.referrals.facts import HOSPITAL_CLASSES

from .contents import Diagnosis
from .fold import CANCELLED, FINISHED, IN_PROGRESS, Visit, follow_up_status

PLACEHOLDER_ID = "adt-visit"  # the mappers want a FHIR id; the caller sets the real fhir_ref after them
# DG1-3.3 coding systems (HL7 table 0396) -> FHIR code systems the follow-up rules read.
CODE_SYSTEMS = {
    "I10": "http://hl7.org/fhir/sid/icd-10",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SCT": "http://snomed.info/sct",
    "SNOMEDCT": "http://snomed.info/sct",
}


def encounter_resource(visit: Visit, *, patient_ref: str) -> dict:
    """The visit as an R4 Encounter dict: status, class, period, subject, attending, diagnoses."""
    period = {key: _instant(moment) for key, moment in _period(visit).items() if moment is not None}
    resource = {
        "resourceType": "Encounter",
        "id": PLACEHOLDER_ID,
        "status": encounter_status(visit),
        "class": {"code": visit.encounter_class},
        "period": period,
        "subject": {"reference": patient_ref},
        "reasonCode": [_concept(d) for d in visit.diagnoses if d.code or d.text],
    }
    if visit.attending.name:
        resource["participant"] = [{"individual": {"display": visit.attending.name}}]
    return resource


def encounter_status(visit: Visit) -> str:
    """finished or cancelled once discharged (follow_up_status); an outpatient registration (A04, class
    AMB) is a visit that took place, so finished; an admitted stay in-progress; cancelled after an A11."""
    if (status := follow_up_status(visit)) is not None:
        return status
    if visit.status == CANCELLED:
        return CANCELLED
    if visit.status == IN_PROGRESS:
        return FINISHED if visit.encounter_class not in HOSPITAL_CLASSES else IN_PROGRESS
    return "unknown"


def _period(visit: Visit) -> dict[str, datetime | None]:
    start = visit.admitted_at or visit.registered_at
    end = visit.discharged_at if visit.ever_discharged else None
    return {"start": start, "end": end}


def _instant(moment: datetime) -> str:
    return moment.isoformat()


def _concept(diagnosis: Diagnosis) -> dict:
    coding = {"code": diagnosis.code} if diagnosis.code else {}
    if system := CODE_SYSTEMS.get(diagnosis.system.upper().replace("-", "")):
        coding["system"] = system
    if diagnosis.text:
        coding["display"] = diagnosis.text
    concept = {"coding": [coding]} if diagnosis.code else {}
    return {**concept, "text": diagnosis.text} if diagnosis.text else concept
