"""sandbox_import refuses bad input whole: the error names the file and entry, and nothing is written."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from smartapp.sandbox.models import Resource, SandboxIdentity

from .conftest import NPI, PR_UUID, PT_UUID, bundle, order, posted, practitioner, snapshot

NAME = "Secretname42"
PATIENT = {"resourceType": "Patient", "id": "pt-1", "name": [{"family": NAME}]}


@pytest.fixture
def before(write, run_import):
    """One resource already stored; the store's snapshot and row counts before the failing import."""
    run_import(write("first.json", {**PATIENT, "id": "pt-0"}))
    return snapshot(), SandboxIdentity.objects.count(), get_user_model().objects.count()


def _refused(run_import, *paths, match: str) -> str:
    with pytest.raises(CommandError, match=match) as refused:
        run_import(*paths)
    message = str(refused.value)
    assert NAME not in message  # never the resource's contents
    return message


def _unchanged(before):
    assert (snapshot(), SandboxIdentity.objects.count(), get_user_model().objects.count()) == before


def test_an_error_in_the_second_file_leaves_the_first_unwritten(before, write, run_import):
    good = write("a.json", bundle("transaction", posted(PATIENT, PT_UUID)))
    entries = [posted(PATIENT, PT_UUID), posted(order(PT_UUID, "urn:uuid:nowhere"))]
    bad = write("b.json", bundle("transaction", *entries))

    message = _refused(run_import, good, bad, match="does not resolve")

    assert message.startswith(
        "Nothing imported: b.json entry 1 (MedicationRequest): reference urn:uuid:nowhere"
    )
    _unchanged(before)
    assert not Resource.objects.filter(fhir_id=PT_UUID.removeprefix("urn:uuid:")).exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", r"bad.json: not JSON \(Expecting property name"),
        ('["a list"]', "bad.json: not a FHIR resource or Bundle"),
        ({"name": [{"family": NAME}]}, "bad.json: not a FHIR resource or Bundle"),
        ({"resourceType": "Bundle", "type": "history", "entry": []}, "a Bundle of type 'history'"),
        (
            bundle("collection", {"resource": {"name": NAME}}),
            r"bad.json entry 0: the resource has no resourceType",
        ),
        (
            bundle("collection", {"resource": {**PATIENT, "resourceType": "Patientt"}}),
            r"entry 0 \(Patientt\): resourceType is not a FHIR R4",
        ),
        (
            bundle("collection", {"resource": {**PATIENT, "id": "bad id!"}}),
            r"entry 0 \(Patient\): the id is not a valid FHIR id",
        ),
        (bundle("collection", {"resource": {**PATIENT, "id": "x" * 65}}), "the id is not a valid FHIR id"),
        (
            bundle("batch", {"request": {"method": "DELETE", "url": "Patient/pt-0"}}),
            "entry 0: request method 'DELETE'",
        ),
        (bundle("collection", {"fullUrl": "x"}), "entry 0: the entry has no resource"),
    ],
)
def test_a_bad_file_is_refused_naming_file_and_entry(before, write, run_import, content, match):
    _refused(run_import, write("bad.json", content), match=match)

    _unchanged(before)


def test_a_bad_ndjson_line_is_named_by_its_line_number(before, write, run_import):
    path = write("bad.ndjson", [PATIENT, "", "{oops"])

    _refused(run_import, path, match="bad.ndjson line 3: not JSON")

    _unchanged(before)


def test_the_same_resource_with_other_content_is_refused(before, write, run_import):
    first, second = write("a.json", PATIENT), write("b.json", {**PATIENT, "gender": "male"})

    _refused(run_import, first, second, match=r"b.json \(Patient\): Patient/pt-1 comes again.*than in a.json")

    _unchanged(before)


def test_a_conditional_reference_matching_nothing_is_refused(before, write, run_import):
    path = write("tx.json", order("Patient/pt-0", f"Practitioner?identifier={NPI}|404", id="mr-1"))

    _refused(
        run_import,
        path,
        match=r"tx.json \(MedicationRequest\): conditional reference to Practitioner matches no resource",
    )

    _unchanged(before)


def test_a_conditional_reference_matching_several_resources_is_refused(before, write, run_import):
    twins = [posted(practitioner("1001", id="pr-a")), posted(practitioner("1001", id="pr-b"))]
    entries = [*twins, posted(order("Patient/pt-0", f"Practitioner?identifier={NPI}|1001"))]

    _refused(
        run_import, write("tx.json", bundle("transaction", *entries)), match="entry 2 .* matches 2 resources"
    )

    _unchanged(before)


def test_a_conditional_reference_on_other_parameters_is_refused(before, write, run_import):
    path = write("tx.json", order("Patient/pt-0", f"Practitioner?name={NAME}", id="mr-1"))

    _refused(run_import, path, match="is not of the form Type\\?identifier=")

    _unchanged(before)


def test_a_missing_path_is_refused(before, run_import, tmp_path):
    _refused(run_import, str(tmp_path / "absent.json"), match="no such file or directory")


def test_two_resources_sharing_a_full_url_are_refused(before, write, run_import):
    entries = [posted(PATIENT, PR_UUID), posted(practitioner("1"), PR_UUID)]

    _refused(run_import, write("tx.json", bundle("transaction", *entries)), match="entry 1 .*fullUrl")

    _unchanged(before)
