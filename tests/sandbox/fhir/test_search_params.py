"""Each search parameter, and the strictness on unknown parameters and bad values."""

import pytest
import requests

from tests.sandbox.fhir.conftest import DOC_CATEGORY, LOINC, MED_CATEGORY


def test_patient_accepts_a_reference_a_bare_id_and_an_absolute_url(record, search_ids, fhir_base):
    expected = ["mr-1", "mr-2", "mr-4"]

    assert search_ids("MedicationRequest", patient="Patient/pt-1") == expected
    assert search_ids("MedicationRequest", patient="pt-1") == expected
    assert search_ids("MedicationRequest", patient=f"{fhir_base}/Patient/pt-1") == expected


def test_subject_searches_the_patient_compartment_too(record, search_ids):
    assert search_ids("DocumentReference", subject="Patient/pt-2") == ["dr-2"]
    assert search_ids("Task", subject="pt-1") == ["task-1", "task-2"]


def test_a_subject_of_another_type_matches_nothing(record, search_ids):
    assert search_ids("MedicationRequest", subject="Group/pt-1") == []


def test_id_takes_a_comma_list(record, search_ids):
    assert search_ids("MedicationRequest", _id="mr-1,mr-3,missing") == ["mr-1", "mr-3"]
    assert search_ids("Patient", _id="pt-2") == ["pt-2"]


def test_status_with_a_comma_is_an_or(record, search_ids):
    assert search_ids("MedicationRequest", status="stopped") == ["mr-2"]
    assert search_ids("MedicationRequest", status="stopped,active") == ["mr-1", "mr-2", "mr-3", "mr-4"]


def test_category_matches_a_code_or_a_system_and_code(record, search_ids):
    assert search_ids("MedicationRequest", category="community") == ["mr-2", "mr-3"]
    assert search_ids("MedicationRequest", category=f"{MED_CATEGORY}|inpatient") == ["mr-1"]
    assert search_ids("MedicationRequest", category="http://other.example|inpatient") == []
    assert search_ids("MedicationRequest", category="inpatient,outpatient") == ["mr-1", "mr-4"]
    assert search_ids("DocumentReference", category=f"{DOC_CATEGORY}|") == ["dr-1", "dr-2"]


def test_a_token_code_never_matches_part_of_another_code(record, search_ids):
    assert search_ids("MedicationRequest", category="patient") == []


def test_type_matches_a_token(record, search_ids):
    assert search_ids("DocumentReference", type=f"{LOINC}|34133-9") == ["dr-1"]
    assert search_ids("DocumentReference", type="11506-3") == ["dr-2"]
    assert search_ids("Encounter", type="ENC1") == ["enc-1"]


def test_based_on_matches_a_typed_reference_or_a_bare_id(record, search_ids):
    assert search_ids("Task", **{"based-on": "ServiceRequest/sr-1"}) == ["task-1"]
    assert search_ids("Task", **{"based-on": "sr-2"}) == ["task-2"]
    assert search_ids("Task", **{"based-on": "sr"}) == []


def test_parameters_combine_with_and(record, search_ids):
    assert search_ids("MedicationRequest", patient="pt-1", status="active", category="outpatient") == ["mr-4"]


def test_post_search_takes_a_form_body(record, fhir_base, user_token):
    response = requests.post(
        f"{fhir_base}/MedicationRequest/_search",
        data={"patient": "pt-1", "status": "stopped"},
        headers={"Authorization": f"Bearer {user_token}"},
        timeout=10,
    )

    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["mr-2"]


def test_an_empty_parameter_is_ignored(record, search_ids):
    assert search_ids("Encounter", status="") == ["enc-1"]


@pytest.mark.parametrize(
    "params",
    [
        {"code": "1234"},  # not supported
        {"status:not": "active"},  # modifiers are not supported
        {"_sort": "date"},
        {"type": "x"},  # MedicationRequest has no type parameter
        {"_count": "abc"},
        {"_count": "-1"},
        {"date": "yesterday"},
        {"date": "2024-13-01"},
        {"date": "ne2024-01-01"},
        {"_lastUpdated": "2024-01-01Tnoon"},
        {"_include": "MedicationRequest:performer"},  # not an _include the sandbox supports
        {"_page_token": "forged"},
    ],
)
def test_unknown_parameters_and_bad_values_are_a_400(record, fhir_get, user_token, params):
    response = fhir_get("MedicationRequest", user_token, params=params)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["severity"] == "error"


def test_format_and_pretty_are_accepted(record, search_ids):
    assert search_ids("Patient", _format="json", _pretty="true") == ["pt-1", "pt-2"]


def test_binary_cannot_be_searched(record, fhir_get, user_token):
    response = fhir_get("Binary", user_token)

    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "not-supported"
