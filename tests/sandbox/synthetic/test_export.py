import io
import json

import pytest
from django.core.management import CommandError, call_command

from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.loader import load
from tests.sandbox.synthetic.walk import references_in


@pytest.fixture
def seeded(db, resources):
    load(resources)


def _export(*args) -> str:
    out = io.StringIO()
    call_command("export_patient", *args, stdout=out)
    return out.getvalue()


def _bundle(patient_id: str) -> dict:
    return json.loads(_export(patient_id))


def test_list_prints_id_tab_name_for_every_patient_sorted_by_id(seeded):
    rows = [line.split("\t") for line in _export("--list").splitlines()]
    assert [row[0] for row in rows] == list(catalog.PATIENT_IDS)
    assert all(len(row) == 2 and row[1] for row in rows)
    assert dict(rows)[catalog.UNICODE_PATIENT_ID] == "Zoë Jose\u0301 Ñúñez-O’Brien"


def test_a_patient_export_is_a_collection_of_the_compartment_and_what_it_refers_to(seeded, resources):
    bundle = _bundle(catalog.REFERRAL_PATIENT_ID)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    entries = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e for e in bundle["entry"]}
    assert bundle["entry"][0]["resource"]["id"] == catalog.REFERRAL_PATIENT_ID
    assert all(e["fullUrl"].endswith(f"/sandbox/fhir/{key}") for key, e in entries.items())
    assert {f"ServiceRequest/{sr}" for sr in catalog.FOLLOW_UP_REFERRAL_IDS.values()} <= entries.keys()
    for reference in references_in(bundle):
        if reference.split("/")[0] in ("Practitioner", "PractitionerRole", "Medication", "Patient", "Binary"):
            assert reference in entries
    assert f"PractitionerRole/{catalog.role_id(catalog.SPECIALIST_IDS['cardiology'])}" in entries
    others = {e["resource"].get("subject", {}).get("reference") for e in bundle["entry"]} - {None}
    assert others == {f"Patient/{catalog.REFERRAL_PATIENT_ID}"}


def test_an_export_carries_referenced_medications_and_binaries(seeded):
    meds = _bundle(catalog.MEDICATION_SCENARIO_PATIENT_ID)
    types = {e["resource"]["resourceType"] for e in meds["entry"]}
    assert {"Medication", "MedicationRequest", "MedicationStatement", "Practitioner"} <= types
    notes = _bundle(catalog.NOTES_SCENARIO_PATIENT_ID)
    binaries = [e["resource"] for e in notes["entry"] if e["resource"]["resourceType"] == "Binary"]
    assert {b["contentType"] for b in binaries} == {"text/plain", "text/html", "application/pdf"}


def test_an_unknown_patient_is_a_clear_command_error(seeded):
    with pytest.raises(CommandError, match="No sandbox patient with id 'pat-999'"):
        _export("pat-999")
