import importlib
import json
import re
from datetime import date

from smartapp.sandbox.synthetic import catalog, generate
from smartapp.sandbox.synthetic.people import npi
from tests.sandbox.synthetic.walk import references_in

from .conftest import ANCHOR, SEED


def test_same_seed_and_anchor_give_byte_identical_output(resources):
    again = generate(seed=SEED, anchor=ANCHOR)
    assert json.dumps(again, ensure_ascii=False) == json.dumps(resources, ensure_ascii=False)


def test_a_different_seed_gives_different_details_but_the_same_scenario_ids(resources):
    other = generate(seed=SEED + 1, anchor=ANCHOR)
    assert json.dumps(other) != json.dumps(resources)
    assert _patient_ids(other) == _patient_ids(resources) == list(catalog.PATIENT_IDS)


def test_dates_move_with_the_anchor(resources):
    later = generate(seed=SEED, anchor=date(2025, 6, 11))
    overdue = catalog.FOLLOW_UP_REFERRAL_IDS["overdue"]
    authored = [next(b for b in bodies if b["id"] == overdue)["authoredOn"] for bodies in (resources, later)]
    assert authored == ["2025-03-18T10:00:00Z", "2025-03-28T10:00:00Z"]


def test_there_are_at_least_25_patients_with_stable_ids(by_type):
    ids = [p["id"] for p in by_type["Patient"]]
    assert len(ids) >= 25
    assert ids[:3] == ["pat-001", "pat-002", "pat-003"]
    assert all(re.fullmatch(r"pat-\d{3}", i) for i in ids)


def test_every_patient_has_name_gender_birth_date_and_an_mrn(by_type):
    for patient in by_type["Patient"]:
        assert patient["name"][0].get("family") or patient["name"][0].get("text")
        assert patient["gender"] in ("female", "male")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", patient["birthDate"])
        mrn = [i for i in patient["identifier"] if i["type"]["coding"][0]["code"] == "MR"]
        assert mrn and mrn[0]["value"]


def test_every_resource_is_tagged_synthetic_and_ids_are_unique(resources):
    keys = [(b["resourceType"], b["id"]) for b in resources]
    assert len(keys) == len(set(keys))
    for body in resources:
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", body["id"])
        assert body["meta"]["tag"][0]["code"] == "HTEST"


def test_every_resource_is_valid_fhir_r4(resources):
    # fhirclient's R4 models in strict mode reject unknown elements, wrong types and missing required ones.
    for body in resources:
        module = importlib.import_module(f"fhirclient.models.{body['resourceType'].lower()}")
        getattr(module, body["resourceType"])(body, strict=True)


def test_every_reference_resolves_to_a_generated_resource(resources, by_key):
    dangling = [
        (body["id"], target) for body in resources for target in references_in(body) if target not in by_key
    ]
    assert dangling == []


def test_attachment_urls_resolve_to_binaries(by_type, by_key):
    for doc in by_type["DocumentReference"]:
        attachment = doc["content"][0]["attachment"]
        if "url" in attachment:
            assert by_key[attachment["url"]]["resourceType"] == "Binary"


def test_practitioners_have_valid_npis_and_roles_with_specialties(by_type):
    roles = {r["practitioner"]["reference"]: r for r in by_type["PractitionerRole"]}
    for practitioner in by_type["Practitioner"]:
        value = practitioner["identifier"][0]["value"]
        assert practitioner["identifier"][0]["system"] == "http://hl7.org/fhir/sid/us-npi"
        assert _luhn_ok("80840" + value)
        assert roles[f"Practitioner/{practitioner['id']}"]["specialty"][0]["coding"]
    ids = {p["id"] for p in by_type["Practitioner"]}
    assert set(catalog.PRACTITIONER_IDS) | {catalog.COORDINATOR_ID} == ids


def test_npi_check_digit_matches_the_cms_example():
    # CMS's worked example: 123456789 has check digit 3.
    assert _luhn_ok("80840" + "1234567893")
    assert _luhn_ok("80840" + npi(5))


def test_the_unicode_patient_has_accents_combining_marks_and_right_to_left_text(by_key):
    patient = by_key[f"Patient/{catalog.UNICODE_PATIENT_ID}"]
    text = json.dumps(patient["name"], ensure_ascii=False)
    assert "Ñúñez" in text and "\u0301" in text
    assert "\u202e" in text and any("\u0600" <= ch <= "\u06ff" for ch in text)


def _patient_ids(bodies):
    return [body["id"] for body in bodies if body["resourceType"] == "Patient"]


def _luhn_ok(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0
