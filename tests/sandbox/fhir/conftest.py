"""A small clinical record for two patients, and an HTTP helper for the sandbox FHIR API."""

import base64
from datetime import UTC, datetime

import pytest
import requests

from smartapp.sandbox.store import save_resource

LOINC = "http://loinc.org"
MED_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"


def _concept(system, code):
    return {"coding": [{"system": system, "code": code}]}


def _medication_request(fhir_id, patient, status, category, authored, medication):
    return {
        "resourceType": "MedicationRequest",
        "id": fhir_id,
        "status": status,
        "intent": "order",
        "category": [_concept(MED_CATEGORY, category)],
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": authored,
        "medicationReference": {"reference": f"Medication/{medication}"},
    }


def _document(fhir_id, patient, type_code, date, binary):
    return {
        "resourceType": "DocumentReference",
        "id": fhir_id,
        "status": "current",
        "type": _concept(LOINC, type_code),
        "category": [_concept(DOC_CATEGORY, "clinical-note")],
        "subject": {"reference": f"Patient/{patient}"},
        "date": date,
        "content": [{"attachment": {"contentType": "text/plain", "url": f"Binary/{binary}"}}],
    }


def _binary(fhir_id, content_type, content: bytes, patient):
    body = {"resourceType": "Binary", "id": fhir_id, "contentType": content_type}
    save_resource({**body, "data": base64.b64encode(content).decode()}, patient_id=patient)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture
def record(transactional_db):
    """pt-1 and pt-2 with medications, documents, orders and an encounter; returns nothing."""
    for patient in ("pt-1", "pt-2"):
        save_resource({"resourceType": "Patient", "id": patient}, last_updated=_at("2024-01-01"))
    save_resource({"resourceType": "Practitioner", "id": "pr-1"})
    save_resource({"resourceType": "Organization", "id": "org-1", "name": "Sandbox Clinic"})
    save_resource({"resourceType": "Medication", "id": "med-1", "code": {"text": "Aspirin"}})
    save_resource({"resourceType": "Medication", "id": "med-2", "code": {"text": "Warfarin"}})
    for args, updated in [
        (("mr-1", "pt-1", "active", "inpatient", "2024-01-15", "med-1"), "2024-01-15"),
        (("mr-2", "pt-1", "stopped", "community", "2024-02-10T08:30:00Z", "med-2"), "2024-02-10"),
        (("mr-3", "pt-2", "active", "community", "2024-03-05", "med-1"), "2024-03-05"),
        (("mr-4", "pt-1", "active", "outpatient", "2024-03-20", "med-1"), "2024-03-20"),
    ]:
        save_resource(_medication_request(*args), last_updated=_at(updated))
    save_resource(_document("dr-1", "pt-1", "34133-9", "2024-03-01T10:00:00Z", "bin-1"))
    save_resource(_document("dr-2", "pt-2", "11506-3", "2024-04-01T10:00:00Z", "bin-3"))
    _binary("bin-1", "text/plain", b"Discharge summary for the sandbox.", "pt-1")
    _binary("bin-2", "text/html", b"<p>Note</p><script>alert(1)</script>", "pt-1")
    _binary("bin-3", "application/pdf", b"%PDF-1.4 sandbox", "pt-2")
    sr = {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "authoredOn": "2024-03-02"}
    save_resource({**sr, "id": "sr-1", "subject": {"reference": "Patient/pt-1"}})
    save_resource({**sr, "id": "sr-2", "subject": {"reference": "Patient/pt-1"}})
    task = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "for": {"reference": "Patient/pt-1"},
    }
    save_resource({**task, "id": "task-1", "basedOn": [{"reference": "ServiceRequest/sr-1"}]})
    save_resource({**task, "id": "task-2", "basedOn": [{"reference": "ServiceRequest/sr-2"}]})
    encounter = {"resourceType": "Encounter", "id": "enc-1", "status": "finished", "class": {"code": "AMB"}}
    save_resource({**encounter, "subject": {"reference": "Patient/pt-1"}, "type": [_concept(LOINC, "ENC1")]})


@pytest.fixture
def fhir_get(fhir_base):
    """fhir_get("Patient/pt-1", token, params={...}, headers={...}) -> requests.Response."""

    def get(path: str, token: str | None = None, *, params=None, headers=None) -> requests.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return requests.get(f"{fhir_base}/{path}", params=params, headers=sent, timeout=15)

    return get


@pytest.fixture
def user_token(make_token):
    """A practitioner's token that reads and searches everything."""
    return make_token("openid fhirUser user/*.rs", fhir_user="Practitioner/pr-1")


@pytest.fixture
def search_ids(fhir_get, user_token):
    """search_ids("MedicationRequest", status="active") -> sorted ids of the matches (asserting 200)."""

    def search(resource_type: str, token: str | None = None, **params) -> list[str]:
        response = fhir_get(resource_type, token or user_token, params=params)
        assert response.status_code == 200, response.text
        return sorted(e["resource"]["id"] for e in response.json().get("entry", []))

    return search
