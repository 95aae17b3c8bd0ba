import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from smartapp.sandbox.models import Resource, SandboxIdentity
from smartapp.sandbox.synthetic import catalog, generate, load_all
from smartapp.sandbox.synthetic.loader import load

from .conftest import ANCHOR, SEED

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        (r.resource_type, r.fhir_id): (r.version_id, r.last_updated, r.patient_id)
        for r in Resource.objects.only("resource_type", "fhir_id", "version_id", "last_updated", "patient_id")
    }


def test_seeding_twice_leaves_the_same_rows_versions_and_timestamps():
    counts = load_all(seed=SEED, anchor=ANCHOR)
    first, users = _snapshot(), get_user_model().objects.count()
    assert load_all(seed=SEED, anchor=ANCHOR) == counts
    assert _snapshot() == first
    assert len(first) == sum(counts.values())
    assert get_user_model().objects.count() == users
    assert SandboxIdentity.objects.count() == counts["Patient"] + counts["Practitioner"]


def test_a_changed_resource_gets_a_new_version_and_the_others_keep_theirs():
    load(generate(seed=SEED, anchor=ANCHOR))
    load(generate(seed=SEED, anchor=ANCHOR + timedelta(days=1)))
    patient = Resource.objects.get(resource_type="Patient", fhir_id="pat-001")
    assert (patient.version_id, patient.body["meta"]["versionId"]) == (2, "2")
    organization = Resource.objects.get(resource_type="Organization", fhir_id="org-hospital")
    assert organization.version_id == 1
    assert organization.body["meta"]["tag"][0]["code"] == "HTEST"


def test_rows_carry_search_columns_and_binaries_join_their_notes_compartment():
    load(generate(seed=SEED, anchor=ANCHOR))
    binary = Resource.objects.get(
        resource_type="Binary", fhir_id=f"bin-{catalog.PDF_NOTE_ID.removeprefix('doc-')}"
    )
    assert binary.patient_id == catalog.NOTES_SCENARIO_PATIENT_ID
    referral = Resource.objects.get(resource_type="Task", fhir_id="task-pat-009-overdue")
    assert (referral.patient_id, referral.status) == (catalog.REFERRAL_PATIENT_ID, "requested")
    assert referral.based_on == f" ServiceRequest/{catalog.FOLLOW_UP_REFERRAL_IDS['overdue']} "
    medication = Resource.objects.get(resource_type="Medication", fhir_id="med-197361")
    assert medication.patient_id == ""


def test_sandbox_users_exist_for_practitioners_the_coordinator_and_patients():
    load_all(seed=SEED, anchor=ANCHOR)
    roles = dict(SandboxIdentity.objects.values_list("fhir_user", "role"))
    assert roles[f"Practitioner/{catalog.COORDINATOR_ID}"] == "coordinator"
    assert all(roles[f"Practitioner/{pr}"] == "practitioner" for pr in catalog.PRACTITIONER_IDS)
    assert all(roles[f"Patient/{pat}"] == "patient" for pat in catalog.PATIENT_IDS)
    user = get_user_model().objects.get(username="sandbox-pr-001")
    assert user.sandbox.fhir_user == "Practitioner/pr-001"
    assert not user.has_usable_password()
    assert (
        get_user_model().objects.get(username=f"sandbox-{catalog.UNICODE_PATIENT_ID}").last_name
        == "Ñúñez-O’Brien"
    )


def test_seed_sandbox_prints_counts_per_resource_type():
    out = io.StringIO()
    # The Synthea fixtures have their own tests (tests/sandbox/importer/test_synthea.py).
    call_command(
        "seed_sandbox", "--seed", str(SEED), "--anchor-date", ANCHOR.isoformat(), "--no-synthea", stdout=out
    )
    *count_lines, registered, seeded = out.getvalue().splitlines()
    lines = dict(line.split() for line in count_lines)
    assert int(lines["Patient"]) == catalog.PATIENT_COUNT
    assert (
        int(lines["MedicationRequest"]) == Resource.objects.filter(resource_type="MedicationRequest").count()
    )
    assert "Seeded" in seeded


def test_seed_sandbox_registers_the_app_as_a_client():
    from oauth2_provider.models import get_application_model

    call_command(
        "seed_sandbox",
        "--seed",
        str(SEED),
        "--anchor-date",
        ANCHOR.isoformat(),
        "--no-synthea",
        stdout=io.StringIO(),
    )
    app = get_application_model().objects.get(client_id="smartapp")
    assert "http://127.0.0.1:8000/callback/sandbox/" in app.redirect_uris.split()
    assert app.client_type == "public"
    backend = get_application_model().objects.get(client_id="smartapp-backend")
    assert backend.client_type == "confidential" and backend.smart.jwks["jwks_uri"].endswith("/jwks.json")


def test_seed_sandbox_refuses_a_malformed_anchor_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed_sandbox", "--anchor-date", "01/06/2025", stdout=io.StringIO())
