"""sandbox_import: each kind of file, ids, references, and a second import that changes nothing."""

import pytest

from smartapp.sandbox.models import Resource, SandboxIdentity

from .conftest import NPI, PR_UUID, PT_UUID, bundle, order, posted, practitioner, snapshot, stored

PATIENT = {"resourceType": "Patient", "name": [{"family": "Testcase", "given": ["Alpha1"]}]}


def transaction() -> dict:
    """A Synthea-style transaction: entries without ids, urn:uuid fullUrls and references."""
    return bundle(
        "transaction",
        posted(PATIENT, PT_UUID),
        posted(practitioner("1001"), PR_UUID),
        posted(order(PT_UUID, PR_UUID, reasonReference=[{"reference": "#r1"}]), "urn:uuid:mr-0001"),
    )


def test_a_transaction_takes_ids_from_its_urn_uuids_and_resolves_every_reference(write, run_import):
    output = run_import(write("tx.json", transaction()))

    patient_id, practitioner_id = PT_UUID.removeprefix("urn:uuid:"), PR_UUID.removeprefix("urn:uuid:")
    medication_request = stored("MedicationRequest", "mr-0001")
    assert medication_request["subject"] == {"reference": f"Patient/{patient_id}"}
    assert medication_request["requester"] == {"reference": f"Practitioner/{practitioner_id}"}
    assert medication_request["reasonReference"] == [{"reference": "#r1"}]  # contained: kept
    row = Resource.objects.get(resource_type="MedicationRequest", fhir_id="mr-0001")
    assert row.patient_id == patient_id
    assert "MedicationRequest" in output and "Imported 3 resources" in output


def test_patients_and_practitioners_become_sandbox_users(write, run_import):
    run_import(write("tx.json", transaction()))

    roles = dict(SandboxIdentity.objects.values_list("fhir_user", "role"))
    assert roles == {
        f"Patient/{PT_UUID.removeprefix('urn:uuid:')}": "patient",
        f"Practitioner/{PR_UUID.removeprefix('urn:uuid:')}": "practitioner",
    }


def test_importing_the_same_files_again_changes_nothing(write, run_import):
    paths = [write("tx.json", transaction()), write("more.ndjson", [{**PATIENT, "id": "pt-x"}])]
    run_import(*paths)
    before, identities = snapshot(), SandboxIdentity.objects.count()

    run_import(*paths)

    assert snapshot() == before
    assert all(version == 1 for version, _, _ in before.values())
    assert SandboxIdentity.objects.count() == identities


def test_a_changed_resource_gets_a_new_version(write, run_import):
    run_import(write("a.json", {**PATIENT, "id": "pt-x"}))
    run_import(write("a.json", {**PATIENT, "id": "pt-x", "gender": "female"}))

    assert stored("Patient", "pt-x")["meta"]["versionId"] == "2"


def test_ids_are_kept_and_the_source_meta_is_replaced_by_the_sandbox_s(write, run_import):
    meta = {"versionId": "7", "lastUpdated": "2019-01-01T00:00:00Z", "tag": [{"code": "src"}]}
    run_import(
        write(
            "p.json",
            bundle("collection", {"fullUrl": PT_UUID, "resource": {**PATIENT, "id": "p-7", "meta": meta}}),
        )
    )

    body = stored("Patient", "p-7")
    assert body["meta"]["versionId"] == "1" and body["meta"]["lastUpdated"] != meta["lastUpdated"]
    assert body["meta"]["tag"] == [{"code": "src"}]


def test_a_resource_without_id_or_full_url_gets_the_same_id_on_every_import(write, run_import):
    path = write("obs.ndjson", [{"resourceType": "Basic", "code": {"text": "one"}}])
    run_import(path)
    run_import(path)

    rows = Resource.objects.filter(resource_type="Basic")
    assert rows.count() == 1 and rows.get().version_id == 1
    assert len(rows.get().fhir_id) == 40


def test_a_batch_takes_the_id_of_a_put_url(write, run_import):
    entry = {"resource": PATIENT, "request": {"method": "PUT", "url": "Patient/pt-put"}}
    run_import(write("batch.json", bundle("batch", entry)))

    assert stored("Patient", "pt-put")["name"] == PATIENT["name"]


def test_a_searchset_keeps_matches_and_includes_and_skips_its_outcome(write, run_import):
    base = "https://ehr.example/fhir"
    searchset = bundle(
        "searchset",
        {
            "fullUrl": f"{base}/MedicationRequest/mr-1",
            "resource": order("Patient/pt-1", "Practitioner/pr-9", id="mr-1"),
            "search": {"mode": "match"},
        },
        {
            "fullUrl": f"{base}/Practitioner/pr-9",
            "resource": practitioner("9", id="pr-9"),
            "search": {"mode": "include"},
        },
        {"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}},
    )
    output = run_import(write("search.json", searchset))

    assert stored("MedicationRequest", "mr-1")["requester"] == {"reference": "Practitioner/pr-9"}
    assert stored("Practitioner", "pr-9")["identifier"][0]["value"] == "9"
    assert not Resource.objects.filter(resource_type="OperationOutcome").exists()
    assert "Imported 2 resources" in output


def test_ndjson_lines_are_resources_and_blank_lines_are_allowed(write, run_import):
    lines = [
        {**PATIENT, "id": "pt-a"},
        "",
        "   ",
        {"resourceType": "Condition", "id": "c-1", "subject": {"reference": "Patient/pt-a"}},
    ]
    run_import(write("export.ndjson", lines))

    condition = Resource.objects.get(resource_type="Condition", fhir_id="c-1")
    assert condition.patient_id == "pt-a"  # every type is stored, searched by the API or not


def test_a_directory_means_its_json_and_ndjson_files(write, run_import, tmp_path):
    write("a.json", {**PATIENT, "id": "pt-a"})
    write("b.ndjson", [{**PATIENT, "id": "pt-b"}])
    write("notes.txt", "not FHIR")

    run_import(str(tmp_path))

    stored = Resource.objects.filter(resource_type="Patient").values_list("fhir_id", flat=True)
    assert set(stored) == {"pt-a", "pt-b"}  # (and the panel Groups holding them)


def test_identical_copies_of_a_resource_in_two_files_are_stored_once(write, run_import):
    shared = posted(practitioner("1001"), PR_UUID)
    run_import(write("a.json", bundle("transaction", shared)), write("b.json", bundle("transaction", shared)))

    assert Resource.objects.filter(resource_type="Practitioner").count() == 1


@pytest.fixture
def stored_practitioner(write, run_import):
    run_import(write("staff.json", practitioner("2002", id="pr-stored")))


def test_a_conditional_reference_resolves_to_the_imported_resource_with_that_identifier(write, run_import):
    conditional = f"Practitioner?identifier={NPI}|1001"
    run_import(
        write(
            "tx.json",
            bundle(
                "transaction",
                posted(practitioner("1001", id="pr-1")),
                posted(order("Patient/p", conditional, id="mr-1")),
            ),
        )
    )

    assert stored("MedicationRequest", "mr-1")["requester"] == {"reference": "Practitioner/pr-1"}


def test_a_conditional_reference_resolves_to_a_stored_resource(stored_practitioner, write, run_import):
    run_import(write("tx.json", order("Patient/p", f"Practitioner?identifier={NPI}%7C2002", id="mr-1")))

    assert stored("MedicationRequest", "mr-1")["requester"] == {"reference": "Practitioner/pr-stored"}


def test_a_conditional_reference_with_a_bare_value_matches_any_system(stored_practitioner, write, run_import):
    run_import(write("tx.json", order("Patient/p", "Practitioner?identifier=2002", id="mr-1")))

    assert stored("MedicationRequest", "mr-1")["requester"] == {"reference": "Practitioner/pr-stored"}
