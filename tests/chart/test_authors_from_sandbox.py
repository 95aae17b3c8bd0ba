"""The chart's notes search against the sandbox EHR: the authors come back in the same search (`_include`),
so notes show their author's name and role specialty without a request per author."""

import pytest

from smartapp.chart import sections
from smartapp.chart.presenter import chart_rows
from smartapp.ehr import configs
from smartapp.ehr.fhir import EhrClient
from smartapp.sandbox.store import save_resource

PATIENT = "pt-authors"
SNOMED = "http://snomed.info/sct"


def _note(fhir_id: str, author: str, date: str) -> dict:
    return {
        "resourceType": "DocumentReference",
        "id": fhir_id,
        "status": "current",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "date": date,
        "author": [{"reference": author}],
        "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/b-1"}}],
    }


@pytest.fixture
def record(transactional_db):
    save_resource({"resourceType": "Patient", "id": PATIENT})
    name = {"use": "official", "prefix": ["Dr."], "given": ["Ada"], "family": "Heart", "suffix": ["MD"]}
    save_resource({"resourceType": "Practitioner", "id": "pr-1", "name": [name]})
    save_resource({"resourceType": "Practitioner", "id": "pr-unused", "name": [{"family": "Elsewhere"}]})
    specialty = {"coding": [{"system": SNOMED, "code": "394583002", "display": "Endocrinology"}]}
    role = {"practitioner": {"reference": "Practitioner/pr-1"}, "specialty": [specialty]}
    save_resource({"resourceType": "PractitionerRole", "id": "role-1", **role})
    save_resource(_note("dr-1", "Practitioner/pr-1", "2026-01-02T10:00:00Z"))
    save_resource(_note("dr-2", "PractitionerRole/role-1", "2026-01-03T10:00:00Z"))


def _chart(fhir_base: str, token: str, scope: str):
    client = EhrClient(base_url=fhir_base, access_token=token)
    queries = sections.chart_queries(PATIENT)
    return sections.fetch_chart(client, patient_id=PATIENT, queries=queries, granted_scope=scope)


@pytest.fixture
def clinician_scope():
    """The scopes smartapp asks the sandbox for as a clinician, as a launch would be granted them."""
    return configs.by_name("sandbox").scope_for("clinician")


def test_note_authors_are_named_from_the_same_search(
    record, fhir_base, make_token, settings, clinician_scope
):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    token = make_token(clinician_scope, patient_id=PATIENT)

    _, found = _chart(fhir_base, token, clinician_scope)

    notes = found["notes"]
    assert notes.requests == 1  # the authors cost no round trip of their own
    included = sorted(f"{r['resourceType']}/{r['id']}" for r in notes.included)
    assert included == ["Practitioner/pr-1", "PractitionerRole/role-1"]
    rows = {
        row.id: (group.name, row.author) for group in chart_rows(found)["notes"].rows for row in group.rows
    }
    # dr-2's role came with the search, so it names the specialty of dr-1 by the same practitioner too.
    assert rows == {"dr-1": ("Endocrinology", "Ada Heart, MD"), "dr-2": ("Endocrinology", "Ada Heart, MD")}


def test_without_a_practitioner_scope_the_notes_still_show_without_author_references(
    record, fhir_base, make_token, settings
):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    scope = "patient/Patient.rs patient/DocumentReference.rs"
    token = make_token(scope, patient_id=PATIENT)

    _, found = _chart(fhir_base, token, scope)

    assert found["notes"].state == sections.OK and found["notes"].included == []
    authors = {row.author for group in chart_rows(found)["notes"].rows for row in group.rows}
    assert authors == {""}  # shown as "author not recorded", never as "Practitioner/pr-1"
