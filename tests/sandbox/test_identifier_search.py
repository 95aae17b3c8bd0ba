"""`identifier` token search on Patient and Encounter over HTTP (https://hl7.org/fhir/R4/search.html#token),
and the visit numbers every sandbox Encounter carries."""

import json

import pytest
import requests

from smartapp.sandbox.importer.service import resources_import
from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic import generate

MRN = "https://sandbox.smartapp.example/fhir/mrn"
VISIT = "https://sandbox.smartapp.example/fhir/visit"
SSN = "http://hl7.org/fhir/sid/us-ssn"


@pytest.fixture
def user_token(make_token):
    return make_token("openid fhirUser user/*.rs", fhir_user="Practitioner/pr-1")


@pytest.fixture
def fhir_get(fhir_base):
    def get(path: str, token: str = "", params=None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(f"{fhir_base}/{path}", params=params, headers=headers, timeout=15)

    return get


@pytest.fixture
def search_ids(fhir_get, user_token):
    """search_ids("Patient", identifier="...") -> sorted ids of the matches (asserting 200)."""

    def search(resource_type: str, **params) -> list[str]:
        response = fhir_get(resource_type, user_token, params=params)
        assert response.status_code == 200, response.text
        return sorted(e["resource"]["id"] for e in response.json().get("entry", []))

    return search


@pytest.fixture
def people(transactional_db):
    """pt-a (an MRN and an SSN), pt-b (an MRN that begins like pt-a's), pt-c (an id without a system)."""
    save_resource(
        {
            "resourceType": "Patient",
            "id": "pt-a",
            "identifier": [{"system": MRN, "value": "SBX000001"}, {"system": SSN, "value": "999-01"}],
        }
    )
    save_resource(
        {"resourceType": "Patient", "id": "pt-b", "identifier": [{"system": MRN, "value": "SBX0000012"}]}
    )
    save_resource({"resourceType": "Patient", "id": "pt-c", "identifier": [{"value": "SBX000001"}]})
    save_resource(
        {
            "resourceType": "Encounter",
            "id": "enc-a",
            "status": "finished",
            "subject": {"reference": "Patient/pt-a"},
            "identifier": [{"system": VISIT, "value": "V00000001"}],
        }
    )


def test_system_and_value_match_exactly(people, search_ids):
    assert search_ids("Patient", identifier=f"{MRN}|SBX000001") == ["pt-a"]
    assert search_ids("Patient", identifier=f"{MRN}|SBX00000") == []  # no prefix match
    assert search_ids("Patient", identifier=f"{SSN}|SBX000001") == []


def test_a_value_alone_matches_any_system(people, search_ids):
    assert search_ids("Patient", identifier="SBX000001") == ["pt-a", "pt-c"]


def test_a_bar_before_the_value_matches_only_identifiers_without_a_system(people, search_ids):
    assert search_ids("Patient", identifier="|SBX000001") == ["pt-c"]


def test_a_system_and_bar_match_any_value_of_that_system(people, search_ids):
    assert search_ids("Patient", identifier=f"{MRN}|") == ["pt-a", "pt-b"]


def test_a_comma_is_an_or_and_a_repeat_an_and(people, search_ids, fhir_get, user_token):
    assert search_ids("Patient", identifier=f"{MRN}|SBX0000012,{SSN}|999-01") == ["pt-a", "pt-b"]
    both = fhir_get(
        "Patient", user_token, params=[("identifier", f"{MRN}|SBX000001"), ("identifier", "999-01")]
    )
    assert sorted(e["resource"]["id"] for e in both.json()["entry"]) == ["pt-a"]


def test_an_encounter_is_found_by_its_visit_number(people, search_ids):
    assert search_ids("Encounter", identifier=f"{VISIT}|V00000001") == ["enc-a"]
    assert search_ids("Encounter", identifier=f"{VISIT}|V00000002") == []


def test_other_types_refuse_the_parameter(people, fhir_get, user_token):
    assert fhir_get("MedicationRequest", user_token, params={"identifier": "x"}).status_code == 400


def test_the_capability_statement_lists_identifier(people, fhir_get):
    resources = {r["type"]: r for r in fhir_get("metadata").json()["rest"][0]["resource"]}
    for resource_type in ("Patient", "Encounter"):
        params = {p["name"]: p["type"] for p in resources[resource_type]["searchParam"]}
        assert params["identifier"] == "token"


def test_every_synthetic_encounter_has_a_visit_number():
    encounters = [r for r in generate() if r["resourceType"] == "Encounter"]
    numbers = [next(i["value"] for i in e["identifier"] if i["system"] == VISIT) for e in encounters]
    visit = encounters[0]["identifier"][0]

    assert encounters and len(set(numbers)) == len(numbers)
    assert all(n.startswith("V") and n[1:].isdigit() for n in numbers)
    assert visit["use"] == "official" and visit["type"]["coding"][0]["code"] == "VN"


def test_the_seeded_sandbox_is_searchable_by_mrn_and_visit_number(transactional_db, search_ids):
    from tests.seeding import seed

    seed()
    patient = Resource.objects.filter(resource_type="Patient").order_by("fhir_id").first().body
    mrn = next(i["value"] for i in patient["identifier"] if i["system"] == MRN)
    stay = Resource.objects.filter(resource_type="Encounter").order_by("fhir_id").first().body
    visit = next(i["value"] for i in stay["identifier"] if i["system"] == VISIT)

    assert search_ids("Patient", identifier=f"{MRN}|{mrn}") == [patient["id"]]
    assert search_ids("Encounter", identifier=f"{VISIT}|{visit}") == [stay["id"]]


def test_an_imported_encounter_gets_a_visit_number_and_keeps_its_own_ids(transactional_db, tmp_path):
    own = {"system": "https://github.com/synthetichealth/synthea", "value": "e-123"}
    encounter = {"resourceType": "Encounter", "id": "imp-enc", "status": "finished", "identifier": [own]}
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps(encounter))

    resources_import(paths=[path])
    resources_import(paths=[path])  # again: the same visit number, no new version

    row = Resource.objects.get(resource_type="Encounter", fhir_id="imp-enc")
    assert row.body["identifier"][0] == own
    assert row.body["identifier"][1]["system"] == VISIT
    assert row.version_id == 1
    assert f" {VISIT}|{row.body['identifier'][1]['value']} " in row.identifier
