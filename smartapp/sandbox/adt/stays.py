"""The sandbox's inpatient stays as the ADT feed sees them: found, opened and ended through the store, so
that its FHIR API shows every change the feed announces."""

import secrets
from datetime import datetime, timedelta

from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.elements import SYNTHETIC_TAG, coding, concept, ref
from smartapp.sandbox.synthetic.terminology import (
    ACT_CODE,
    DISCHARGE_DISPOSITION,
    ENCOUNTER_CLASSES,
    ENCOUNTER_TYPES,
    SNOMED,
)
from smartapp.sandbox.synthetic.visits import visit_identifier, with_visit_number

from .messages import Visit

INPATIENT = "IMP"


class StayError(ValueError):
    """The patient or Encounter the feed was asked about is missing or in the wrong state (fixed text)."""


def load(resource_type: str, fhir_id: str) -> dict:
    """A stored resource's JSON, or StayError."""
    body = Resource.objects.filter(resource_type=resource_type, fhir_id=fhir_id).values_list(
        "body", flat=True
    )
    found = body.first()
    if found is None:
        raise StayError(f"no {resource_type} with that id")
    return found


def visit_of(encounter: dict) -> Visit:
    """The Visit a message is built from: the Encounter, its Patient and its first Practitioner."""
    patient_id = (encounter.get("subject") or {}).get("reference", "").removeprefix("Patient/")
    return Visit(patient=load("Patient", patient_id), encounter=encounter, attending=_attending(encounter))


def _attending(encounter: dict) -> dict | None:
    for participant in encounter.get("participant") or []:
        reference = (participant.get("individual") or {}).get("reference", "")
        if reference.startswith("Practitioner/"):
            found = Resource.objects.filter(resource_type="Practitioner", fhir_id=reference[13:]).first()
            return found.body if found else None
    return None


def latest_inpatient(patient_id: str) -> dict | None:
    """The patient's inpatient Encounter that started last, or None."""
    rows = Resource.objects.filter(resource_type="Encounter", patient_id=patient_id).order_by("-date", "-id")
    return next((r.body for r in rows if (r.body.get("class") or {}).get("code") == INPATIENT), None)


def stay_open(*, patient_id: str, now: datetime) -> dict:
    """A new in-progress inpatient Encounter (with a visit number) for the patient, saved."""
    load("Patient", patient_id)
    encounter_id = f"enc-adt-{secrets.token_hex(6)}"
    body = {
        "resourceType": "Encounter",
        "id": encounter_id,
        "meta": {"tag": [dict(SYNTHETIC_TAG)]},
        "identifier": [visit_identifier(encounter_id)],
        "status": "in-progress",
        "class": coding(ACT_CODE, INPATIENT, ENCOUNTER_CLASSES[INPATIENT]),
        "type": [concept(SNOMED, *ENCOUNTER_TYPES[INPATIENT])],
        "subject": ref("Patient", patient_id),
        "participant": [{"individual": ref("Practitioner", catalog.HOSPITALIST_ID)}],
        "period": {"start": _instant(now)},
        "serviceProvider": ref("Organization", catalog.ORGANIZATION_IDS["hospital"]),
    }
    save_resource(body)
    return body


def stay_end(*, encounter_id: str, now: datetime) -> dict:
    """End an in-progress inpatient Encounter now (finished, period.end, discharged home), saved."""
    body = load("Encounter", encounter_id)
    if (body.get("class") or {}).get("code") != INPATIENT or body.get("status") != "in-progress":
        raise StayError("the Encounter is not an in-progress inpatient stay")
    ended = with_visit_number(
        {
            **body,
            "status": "finished",
            "period": {**(body.get("period") or {}), "end": _instant(now)},
            "hospitalization": {
                **(body.get("hospitalization") or {}),
                "dischargeDisposition": concept(DISCHARGE_DISPOSITION, "home", "Home"),
            },
        }
    )
    save_resource(ended)
    return ended


def stay_for_send(*, patient_id: str, now: datetime) -> dict:
    """The patient's latest inpatient Encounter; when there is none, a three-day stay ending now, saved."""
    latest = latest_inpatient(patient_id)
    if latest is not None:
        return latest
    stay = stay_open(patient_id=patient_id, now=now - timedelta(days=3))
    return stay_end(encounter_id=stay["id"], now=now)


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment.utcoffset() == timedelta(0) else moment.isoformat()
