"""_include=MedicationRequest:requester, AllergyIntolerance:recorder and AllergyIntolerance:asserter: the
chart names prescribers and recorders from them."""

import pytest

from smartapp.sandbox.store import save_resource


def _included(bundle) -> list[str]:
    return sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    )


def _matches(bundle) -> list[str]:
    return sorted(e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match")


@pytest.fixture
def clinicians(record):
    """pt-1's orders by a Practitioner (mr-1), a PractitionerRole (mr-2) and an Organization (mr-4);
    pt-2's by another Practitioner (mr-3). pt-1's allergy recorded by a role, asserted by the patient;
    pt-2's recorded and asserted by pr-2."""
    save_resource({"resourceType": "Practitioner", "id": "pr-2", "name": [{"family": "Heart"}]})
    save_resource(
        {
            "resourceType": "PractitionerRole",
            "id": "role-1",
            "practitioner": {"reference": "Practitioner/pr-1"},
        }
    )
    requesters = {
        "mr-1": ("pt-1", "Practitioner/pr-1"),
        "mr-2": ("pt-1", "PractitionerRole/role-1"),
        "mr-4": ("pt-1", "Organization/org-1"),
        "mr-3": ("pt-2", "Practitioner/pr-2"),
    }
    for fhir_id, (patient, requester) in requesters.items():
        save_resource(
            {
                "resourceType": "MedicationRequest",
                "id": fhir_id,
                "status": "active",
                "intent": "order",
                "subject": {"reference": f"Patient/{patient}"},
                "medicationCodeableConcept": {"text": "Aspirin"},
                "requester": {"reference": requester},
            }
        )
    allergy = {"resourceType": "AllergyIntolerance", "code": {"text": "Penicillin"}}
    save_resource(
        {
            **allergy,
            "id": "al-1",
            "patient": {"reference": "Patient/pt-1"},
            "recorder": {"reference": "PractitionerRole/role-1"},
            "asserter": {"reference": "Patient/pt-1"},
        }
    )
    save_resource(
        {
            **allergy,
            "id": "al-2",
            "patient": {"reference": "Patient/pt-2"},
            "recorder": {"reference": "Practitioner/pr-2"},
            "asserter": {"reference": "Practitioner/pr-2"},
        }
    )


def test_requester_include_adds_each_prescriber_of_the_page(clinicians, fhir_get, user_token):
    params = {"patient": "pt-1", "_include": "MedicationRequest:requester"}

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    assert _matches(bundle) == ["mr-1", "mr-2", "mr-4"]
    assert _included(bundle) == ["Organization/org-1", "Practitioner/pr-1", "PractitionerRole/role-1"]


def test_requester_and_medication_includes_combine(clinicians, record, fhir_get, user_token):
    params = [
        ("_id", "mr-3"),
        ("_include", "MedicationRequest:medication"),
        ("_include", "MedicationRequest:requester"),
    ]

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    assert _included(bundle) == ["Practitioner/pr-2"]  # mr-3 names its drug by code, not a Medication


def test_a_patient_token_with_a_practitioner_scope_gets_its_prescribers(clinicians, fhir_get, make_token):
    token = make_token("patient/MedicationRequest.rs patient/Practitioner.rs", patient_id="pt-1")
    params = {"patient": "pt-1", "_include": "MedicationRequest:requester"}

    bundle = fhir_get("MedicationRequest", token, params=params).json()

    assert _included(bundle) == ["Practitioner/pr-1"]  # no scope for PractitionerRole or Organization


def test_recorder_and_asserter_includes_add_clinicians_and_the_patient(clinicians, fhir_get, user_token):
    params = [
        ("patient", "pt-1"),
        ("_include", "AllergyIntolerance:recorder"),
        ("_include", "AllergyIntolerance:asserter"),
    ]

    bundle = fhir_get("AllergyIntolerance", user_token, params=params).json()

    assert _matches(bundle) == ["al-1"]
    assert _included(bundle) == ["Patient/pt-1", "PractitionerRole/role-1"]


def test_an_asserter_and_recorder_who_are_one_practitioner_come_once(clinicians, fhir_get, user_token):
    params = [
        ("patient", "pt-2"),
        ("_include", "AllergyIntolerance:recorder"),
        ("_include", "AllergyIntolerance:asserter"),
    ]

    bundle = fhir_get("AllergyIntolerance", user_token, params=params).json()

    assert _included(bundle) == ["Practitioner/pr-2"]


def test_a_patient_token_gets_its_own_patient_as_asserter(clinicians, fhir_get, make_token):
    token = make_token("patient/AllergyIntolerance.rs patient/Patient.rs", patient_id="pt-1")
    params = {"patient": "pt-1", "_include": "AllergyIntolerance:asserter"}

    bundle = fhir_get("AllergyIntolerance", token, params=params).json()

    assert _included(bundle) == ["Patient/pt-1"]


def test_a_patient_token_without_a_practitioner_scope_gets_no_practitioner(clinicians, fhir_get, make_token):
    token = make_token("patient/AllergyIntolerance.rs patient/Patient.rs", patient_id="pt-2")
    params = {"patient": "pt-2", "_include": "AllergyIntolerance:asserter"}

    bundle = fhir_get("AllergyIntolerance", token, params=params).json()

    assert _matches(bundle) == ["al-2"]
    assert _included(bundle) == []


def test_an_unknown_allergy_include_is_a_400(clinicians, fhir_get, user_token):
    params = {"patient": "pt-1", "_include": "AllergyIntolerance:patient"}

    assert fhir_get("AllergyIntolerance", user_token, params=params).status_code == 400
