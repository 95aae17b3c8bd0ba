"""Literal FHIR R4 resources for the store tests, one builder per type; keyword arguments replace elements."""


def _meta(version: int | None, updated: str | None) -> dict:
    meta = {}
    if version is not None:
        meta["versionId"] = str(version)
    if updated is not None:
        meta["lastUpdated"] = updated
    return meta


def _body(resource_type: str, resource_id: str, version, updated, elements: dict, changes: dict) -> dict:
    body = {"resourceType": resource_type, "id": resource_id, "meta": _meta(version, updated), **elements}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def service_request(sr_id="sr-1", version=1, updated="2025-05-01T10:00:00Z", **changes) -> dict:
    elements = {
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]}],
        "code": {"text": "Referral to cardiology service"},
        "subject": {"reference": "Patient/p-1"},
        "authoredOn": "2025-05-01",
        "occurrenceDateTime": "2025-06-15",
        "requester": {"reference": "Practitioner/pcp-1"},
        "performer": [{"reference": "Practitioner/spec-1"}],
    }
    return _body("ServiceRequest", sr_id, version, updated, elements, changes)


def task(
    task_id="t-1", sr_id="sr-1", status="accepted", version=1, updated="2025-05-02T10:00:00Z", **changes
):
    elements = {
        "status": status,
        "intent": "order",
        "basedOn": [{"reference": f"ServiceRequest/{sr_id}"}],
        "for": {"reference": "Patient/p-1"},
        "owner": {"reference": "Practitioner/spec-1"},
        "lastModified": updated,
    }
    return _body("Task", task_id, version, updated, elements, changes)


def appointment(
    appt_id="a-1", status="booked", start="2025-06-10T15:00:00Z", sr_id=None, version=1, **changes
):
    elements = {
        "status": status,
        "serviceType": [{"text": "Cardiology"}],
        "start": start,
        "participant": [
            {"actor": {"reference": "Patient/p-1"}},
            {"actor": {"reference": "Practitioner/spec-1"}},
        ],
        "basedOn": [{"reference": f"ServiceRequest/{sr_id}"}] if sr_id else None,
    }
    return _body(
        "Appointment", appt_id, version, changes.pop("updated", "2025-05-03T10:00:00Z"), elements, changes
    )


def encounter(
    enc_id="v-1", klass="AMB", status="finished", end="2025-05-20T11:00:00Z", sr_id=None, **changes
):
    elements = {
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": "Patient/p-1"},
        "participant": [{"individual": {"reference": "Practitioner/spec-1"}}],
        "period": {"start": end[:10], "end": end},
        "basedOn": [{"reference": f"ServiceRequest/{sr_id}"}] if sr_id else None,
    }
    version, updated = changes.pop("version", 1), changes.pop("updated", "2025-05-20T12:00:00Z")
    return _body("Encounter", enc_id, version, updated, elements, changes)


def consult_note(doc_id="d-1", enc_id="v-1", sr_id=None, **changes) -> dict:
    context = {"encounter": [{"reference": f"Encounter/{enc_id}"}]}
    if sr_id:
        context["related"] = [{"reference": f"ServiceRequest/{sr_id}"}]
    elements = {
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "subject": {"reference": "Patient/p-1"},
        "date": "2025-05-20T15:00:00Z",
        "author": [{"reference": "Practitioner/spec-1"}],
        "context": context,
    }
    return _body("DocumentReference", doc_id, 1, "2025-05-20T16:00:00Z", elements, changes)


def patient(patient_id="p-1", name="Sample Name") -> dict:
    return {"resourceType": "Patient", "id": patient_id, "name": [{"text": name}]}
