"""The Synthea R4 fixtures: imported unchanged, served by the sandbox FHIR API, listed and launchable."""

import io
import re

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command

from smartapp.sandbox.auth import clients
from smartapp.sandbox.auth.patients import find_patients
from smartapp.sandbox.importer import SYNTHEA_DIR, resources_import
from smartapp.sandbox.models import LaunchContext, Resource, SandboxIdentity
from smartapp.sandbox.simulator.directory import human_name, patients
from smartapp.sandbox.synthetic import catalog

# The smallest of the sixteen bundles: one patient, six MedicationRequests, three allergies, one prescriber.
BUNDLE = SYNTHEA_DIR / "Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"
PATIENT_ID = "1f456f0a-acb1-4728-82af-01ca57083c7b"
PRESCRIBER_ID = "85aeca59-6261-4704-a2e4-1846ec5831a6"


@pytest.fixture
def imported(transactional_db):
    return resources_import(paths=[BUNDLE])


def _bundle(fhir_base, token, resource_type, **params):
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.get(f"{fhir_base}/{resource_type}", params=params, headers=headers, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def _by_mode(bundle, mode):
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if e["search"]["mode"] == mode
    ]


def test_the_fixtures_are_sixteen_bundles_with_their_licence_and_readme():
    assert len(list(SYNTHEA_DIR.glob("*.json"))) == 16
    assert "Apache License" in (SYNTHEA_DIR / "LICENSE").read_text()
    assert "generated-sample-data" in (SYNTHEA_DIR / "README.md").read_text()


def test_a_synthea_bundle_is_searchable_with_its_prescriber_included(imported, fhir_base, make_token):
    token = make_token("openid fhirUser user/*.rs", fhir_user=f"Practitioner/{PRESCRIBER_ID}")

    bundle = _bundle(
        fhir_base, token, "MedicationRequest", patient=PATIENT_ID, _include="MedicationRequest:requester"
    )

    assert len(_by_mode(bundle, "match")) == imported["MedicationRequest"] == 6
    assert _by_mode(bundle, "include") == [f"Practitioner/{PRESCRIBER_ID}"]


def test_a_patient_token_reads_its_own_synthea_chart(imported, fhir_base, make_token):
    token = make_token("patient/AllergyIntolerance.rs patient/Patient.rs", patient_id=PATIENT_ID)

    bundle = _bundle(fhir_base, token, "AllergyIntolerance", patient=PATIENT_ID)

    assert bundle["total"] == 3
    assert all(e["resource"]["patient"]["reference"] == f"Patient/{PATIENT_ID}" for e in bundle["entry"])


def test_resources_the_api_does_not_serve_are_stored_in_the_patient_compartment(imported):
    observations = Resource.objects.filter(resource_type="Observation")
    assert observations.count() == imported["Observation"] > 0
    assert set(observations.values_list("patient_id", flat=True)) == {PATIENT_ID}


def test_a_synthea_patient_and_prescriber_are_sandbox_users_with_uuid_user_names(imported):
    user = get_user_model().objects.get(username=catalog.username(PATIENT_ID))
    assert user.sandbox.fhir_user == f"Patient/{PATIENT_ID}"
    assert SandboxIdentity.objects.get(fhir_user=f"Practitioner/{PRESCRIBER_ID}").role == "practitioner"


def test_the_launcher_lists_and_launches_a_synthea_patient(imported, live_server):
    name = human_name(Resource.objects.get(resource_type="Patient", fhir_id=PATIENT_ID).body["name"])
    entry = next(p for p in patients() if p.fhir_id == PATIENT_ID)
    assert entry.name == name and entry.mrn
    page = requests.get(f"{live_server.url}/sandbox/", timeout=10).text
    assert f'<option value="{PATIENT_ID}"' in page

    app = "http://127.0.0.1:9/launch/"
    clients.register("sim-app", redirect_uris=["http://127.0.0.1:9/callback/"], launch_url=app)
    params = {"user": PRESCRIBER_ID, "patient": PATIENT_ID, "app": app}
    response = requests.get(
        f"{live_server.url}/sandbox/launch/", params=params, allow_redirects=False, timeout=10
    )

    assert response.status_code == 302 and response.headers["Location"].startswith(f"{app}?")
    launch = re.search(r"launch=([^&]+)", response.headers["Location"]).group(1)
    assert LaunchContext.objects.get(launch=launch).patient_id == PATIENT_ID


def test_the_sandbox_sign_in_page_and_patient_picker_list_a_synthea_patient(imported, live_server):
    user = get_user_model().objects.get(username=catalog.username(PATIENT_ID))

    page = requests.get(f"{live_server.url}/sandbox/auth/login/", timeout=10).text

    assert f"Patient/{PATIENT_ID}" in page and user.get_full_name() in page
    assert [choice.fhir_id for choice in find_patients(user.last_name)] == [PATIENT_ID]


def test_seed_sandbox_imports_the_synthea_patients_once(db):
    out = io.StringIO()
    call_command("seed_sandbox", "--seed", "3", "--anchor-date", "2025-06-01", stdout=out)
    call_command("seed_sandbox", "--seed", "3", "--anchor-date", "2025-06-01", stdout=io.StringIO())

    patients_ids = set(Resource.objects.filter(resource_type="Patient").values_list("fhir_id", flat=True))
    assert PATIENT_ID in patients_ids and len(patients_ids) == catalog.PATIENT_COUNT + 16
    assert (
        not Resource.objects.filter(version_id__gt=1)
        .exclude(resource_type__in=("Patient",))
        .filter(patient_id=PATIENT_ID)
        .exists()
    )
    assert "Synthea patients (synthea-r4):" in out.getvalue()


def test_seed_sandbox_skips_them_when_asked(db):
    call_command("seed_sandbox", "--no-synthea", "--anchor-date", "2025-06-01", stdout=io.StringIO())

    assert not Resource.objects.filter(resource_type="Patient", fhir_id=PATIENT_ID).exists()
