"""_include=MedicationRequest:medication and _include=DocumentReference:author."""

import pytest

from smartapp.sandbox.store import save_resource


def _entries(bundle, mode):
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == mode]


def test_include_adds_each_referenced_medication_once_after_the_matches(record, fhir_get, user_token):
    params = {"patient": "pt-1", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    modes = [e["search"]["mode"] for e in bundle["entry"]]
    assert modes == ["match"] * 3 + ["include"] * 2
    assert sorted(r["id"] for r in _entries(bundle, "match")) == ["mr-1", "mr-2", "mr-4"]
    assert sorted(r["id"] for r in _entries(bundle, "include")) == ["med-1", "med-2"]
    assert all(r["resourceType"] == "Medication" for r in _entries(bundle, "include"))
    assert bundle["total"] == 3  # total counts matches only


def test_include_covers_only_the_current_page(record, fhir_get, user_token):
    params = {"_id": "mr-2", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", user_token, params=params).json()

    assert [r["id"] for r in _entries(bundle, "include")] == ["med-2"]


def test_include_is_left_out_without_a_medication_scope(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.rs")
    params = {"patient": "pt-1", "_include": "MedicationRequest:medication"}

    bundle = fhir_get("MedicationRequest", token, params=params).json()

    assert len(_entries(bundle, "match")) == 3
    assert _entries(bundle, "include") == []


def test_without_include_there_are_only_matches(record, fhir_get, user_token):
    bundle = fhir_get("MedicationRequest", user_token, params={"patient": "pt-1"}).json()

    assert {e["search"]["mode"] for e in bundle["entry"]} == {"match"}
    assert bundle["entry"][0]["fullUrl"].endswith("/sandbox/fhir/MedicationRequest/mr-1")


AUTHORED = {"patient": "pt-1", "_include": "DocumentReference:author"}


@pytest.fixture
def authored_notes(record):
    """pt-1's dr-1 by a Practitioner and a contained author; dr-3 by a PractitionerRole and an Organization;
    pt-2's dr-2 by another Practitioner."""
    save_resource({"resourceType": "Practitioner", "id": "pr-2", "name": [{"family": "Heart"}]})
    role = {
        "resourceType": "PractitionerRole",
        "id": "role-1",
        "practitioner": {"reference": "Practitioner/pr-1"},
    }
    save_resource(role)
    documents = {
        "dr-1": ("pt-1", [{"reference": "Practitioner/pr-1"}, {"reference": "#p1"}]),
        "dr-3": ("pt-1", [{"reference": "PractitionerRole/role-1"}, {"reference": "Organization/org-1"}]),
        "dr-2": ("pt-2", [{"reference": "Practitioner/pr-2"}]),
    }
    for fhir_id, (patient, authors) in documents.items():
        save_resource(
            {
                "resourceType": "DocumentReference",
                "id": fhir_id,
                "status": "current",
                "subject": {"reference": f"Patient/{patient}"},
                "author": authors,
                "contained": [{"resourceType": "Practitioner", "id": "p1"}],
            }
        )


def test_author_include_adds_every_author_of_the_page_once(authored_notes, fhir_get, user_token):
    bundle = fhir_get("DocumentReference", user_token, params=AUTHORED).json()

    assert sorted(r["id"] for r in _entries(bundle, "match")) == ["dr-1", "dr-3"]
    included = sorted(f"{r['resourceType']}/{r['id']}" for r in _entries(bundle, "include"))
    assert included == ["Organization/org-1", "Practitioner/pr-1", "PractitionerRole/role-1"]


def test_a_patient_token_gets_the_authors_of_its_own_notes_only(authored_notes, fhir_get, make_token):
    token = make_token("patient/DocumentReference.rs patient/Practitioner.rs", patient_id="pt-1")

    bundle = fhir_get("DocumentReference", token, params=AUTHORED).json()

    assert [f"{r['resourceType']}/{r['id']}" for r in _entries(bundle, "include")] == ["Practitioner/pr-1"]


def test_author_include_is_left_out_without_a_practitioner_scope(authored_notes, fhir_get, make_token):
    token = make_token("patient/DocumentReference.rs", patient_id="pt-1")

    bundle = fhir_get("DocumentReference", token, params=AUTHORED).json()

    assert len(_entries(bundle, "match")) == 2
    assert _entries(bundle, "include") == []
