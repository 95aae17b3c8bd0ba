"""Bearer tokens and SMART scopes: who may read what, and the patient compartment."""

import pytest


def _code(response):
    return response.json()["issue"][0]["code"]


def test_a_missing_token_is_a_401_with_a_bearer_challenge(record, fhir_get):
    response = fhir_get("Patient/pt-1")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="smartapp sandbox"'
    assert _code(response) == "login"


def test_an_unknown_token_is_a_401_invalid_token(record, fhir_get):
    response = fhir_get("Patient", "not-a-token")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_expired_token_is_a_401(record, fhir_get, make_token):
    token = make_token("user/*.rs", expires_in=-10)

    assert fhir_get("Patient/pt-1", token).status_code == 401


def test_a_scope_for_another_type_is_a_403(record, fhir_get, make_token):
    token = make_token("user/Patient.rs")

    for path in ("MedicationRequest/mr-1", "MedicationRequest"):
        response = fhir_get(path, token)
        assert response.status_code == 403, path
        assert _code(response) == "forbidden"
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("scope", ["user/MedicationRequest.read", "user/MedicationRequest.rs", "user/*.read"])
def test_v1_read_and_v2_rs_grant_read_and_search(record, search_ids, fhir_get, make_token, scope):
    token = make_token(scope)

    assert fhir_get("MedicationRequest/mr-3", token).status_code == 200
    assert search_ids("MedicationRequest", token) == ["mr-1", "mr-2", "mr-3", "mr-4"]


def test_v2_r_alone_reads_but_does_not_search(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.r")

    assert fhir_get("MedicationRequest/mr-1", token).status_code == 200
    assert fhir_get("MedicationRequest", token).status_code == 403


def test_v2_s_alone_searches_but_does_not_read(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.s")

    assert fhir_get("MedicationRequest", token).status_code == 200
    assert fhir_get("MedicationRequest/mr-1", token).status_code == 403


def test_write_scopes_do_not_grant_reading(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.write user/MedicationRequest.cud")

    assert fhir_get("MedicationRequest/mr-1", token).status_code == 403


def test_system_scopes_read_any_patient(record, search_ids, fhir_get, make_token):
    token = make_token("system/DocumentReference.rs")

    assert search_ids("DocumentReference", token) == ["dr-1", "dr-2"]
    assert fhir_get("DocumentReference/dr-2", token).status_code == 200


@pytest.mark.parametrize(
    "scope", ["patient/MedicationRequest.rs", "patient/MedicationRequest.read", "patient/*.rs"]
)
def test_a_patient_token_searches_only_its_own_compartment(record, search_ids, make_token, scope):
    token = make_token(scope, patient_id="pt-1")

    assert search_ids("MedicationRequest", token) == ["mr-1", "mr-2", "mr-4"]
    assert search_ids("MedicationRequest", token, patient="pt-1", status="active") == ["mr-1", "mr-4"]


def test_a_patient_token_searching_another_patient_is_a_403(record, fhir_get, make_token):
    token = make_token("patient/*.rs", patient_id="pt-1")

    for params in ({"patient": "pt-2"}, {"subject": "Patient/pt-2"}, {"patient": "pt-1,pt-2"}):
        response = fhir_get("MedicationRequest", token, params=params)
        assert response.status_code == 403, params
        assert response.json()["resourceType"] == "OperationOutcome"
    assert fhir_get("Patient", token, params={"_id": "pt-2"}).status_code == 403


def test_a_patient_token_never_reads_another_patients_resource(record, fhir_get, make_token):
    token = make_token("patient/*.rs", patient_id="pt-1")

    assert fhir_get("MedicationRequest/mr-1", token).status_code == 200
    assert fhir_get("Patient/pt-1", token).status_code == 200
    for path in ("MedicationRequest/mr-3", "Patient/pt-2", "DocumentReference/dr-2", "Binary/bin-3"):
        assert fhir_get(path, token).status_code == 403, path


def test_a_patient_token_searching_patients_finds_only_its_patient(record, search_ids, make_token):
    token = make_token("patient/Patient.rs", patient_id="pt-2")

    assert search_ids("Patient", token) == ["pt-2"]


def test_a_patient_token_reads_resources_outside_the_compartment(record, fhir_get, search_ids, make_token):
    token = make_token(
        "patient/Medication.rs patient/Practitioner.rs patient/Organization.rs", patient_id="pt-1"
    )

    assert fhir_get("Medication/med-2", token).status_code == 200
    assert fhir_get("Practitioner/pr-1", token).status_code == 200
    assert search_ids("Organization", token) == ["org-1"]
    assert fhir_get("PractitionerRole", token).status_code == 403  # no scope for it


def test_a_patient_token_without_a_patient_reads_nothing(record, fhir_get, make_token):
    token = make_token("patient/*.rs")

    assert fhir_get("MedicationRequest", token).status_code == 403
    assert fhir_get("MedicationRequest/mr-1", token).status_code == 403


def test_a_patient_scope_and_a_user_scope_together_read_everyone(record, search_ids, make_token):
    token = make_token("patient/MedicationRequest.rs user/MedicationRequest.rs", patient_id="pt-1")

    assert search_ids("MedicationRequest", token, patient="pt-2") == ["mr-3"]


def test_a_category_query_on_a_scope_restricts_what_it_grants(record, search_ids, fhir_get, make_token):
    token = make_token("patient/MedicationRequest.rs?category=community", patient_id="pt-1")

    assert search_ids("MedicationRequest", token) == ["mr-2"]
    assert fhir_get("MedicationRequest/mr-2", token).status_code == 200
    assert fhir_get("MedicationRequest/mr-1", token).status_code == 403


def test_a_scope_with_any_other_query_grants_nothing(record, fhir_get, make_token):
    token = make_token("user/MedicationRequest.rs?status=active")

    assert fhir_get("MedicationRequest", token).status_code == 403
    assert fhir_get("MedicationRequest/mr-1", token).status_code == 403


def test_a_document_reference_scope_reads_the_patients_binaries(record, fhir_get, make_token):
    token = make_token("patient/DocumentReference.rs", patient_id="pt-1")

    assert fhir_get("Binary/bin-1", token).status_code == 200
    assert fhir_get("Binary/bin-3", token).status_code == 403


def test_a_binary_scope_reads_binaries_but_not_documents(record, fhir_get, make_token):
    token = make_token("user/Binary.read")

    assert fhir_get("Binary/bin-3", token).status_code == 200
    assert fhir_get("DocumentReference/dr-2", token).status_code == 403
