"""Requesters, performers and authors by name: from the resources a sync includes, else the reference's
display, else a contained resource; never the reference itself."""

from datetime import date

import pytest

from smartapp.ehr.sync_queries import incremental_query
from smartapp.referrals import mappers, store
from smartapp.referrals.models import Evidence, Referral
from smartapp.referrals.people import clean_name, display_for, people_names
from tests.ehr.auth_fakes import make_config

from . import fhir

TODAY = date(2025, 6, 1)


def practitioner(pr_id: str, family: str, **more) -> dict:
    name = {"use": "official", "given": ["Ada"], "family": family, "suffix": ["MD"], "prefix": ["Dr."]}
    return {"resourceType": "Practitioner", "id": pr_id, "name": [name], **more}


INCLUDED = [
    practitioner("pcp-1", "Primary"),
    practitioner("spec-1", "Heart"),
    {
        "resourceType": "PractitionerRole",
        "id": "role-1",
        "practitioner": {"reference": "Practitioner/spec-1"},
    },
    {"resourceType": "PractitionerRole", "id": "role-2", "organization": {"reference": "Organization/org-1"}},
    {"resourceType": "Organization", "id": "org-1", "name": "Heart Clinic"},
    {"resourceType": "Practitioner", "id": "nameless", "name": [{"prefix": ["Dr."]}]},
    {"resourceType": "Practitioner", "id": "../bad", "name": [{"text": "Nobody"}]},
    {"resourceType": "Practitioner", "id": 7, "name": [{"text": "Nobody"}]},
]


def test_included_people_are_named_as_a_reader_names_them():
    assert people_names(INCLUDED) == {
        "Practitioner/pcp-1": "Ada Primary, MD",
        "Practitioner/spec-1": "Ada Heart, MD",
        "PractitionerRole/role-1": "Ada Heart, MD",
        "PractitionerRole/role-2": "Heart Clinic",
        "Organization/org-1": "Heart Clinic",
    }
    assert people_names("garbage") == {} and people_names([None, 3, {"resourceType": "Practitioner"}]) == {}


@pytest.mark.parametrize(
    ("reference", "names", "expected"),
    [
        (
            {"reference": "Practitioner/spec-1", "display": "Dr Old"},
            {"Practitioner/spec-1": "Ada Heart"},
            "Ada Heart",
        ),
        ({"reference": "Practitioner/spec-1", "display": "Dr Old"}, {}, "Dr Old"),
        ({"reference": "Practitioner/spec-1"}, {}, ""),  # never the reference itself
        ({"reference": "Practitioner/spec-1", "display": "Practitioner/spec-1"}, {}, ""),
        ({"reference": "Practitioner/spec-1", "display": "https://ehr.example.org/Practitioner/1"}, {}, ""),
        ({"reference": "#p1"}, {}, "Contained Person"),
        ({"reference": "#r1"}, {}, "Contained Person"),  # a contained role: its contained practitioner
        ({"reference": "#missing", "display": 12}, {}, ""),
        ("Practitioner/spec-1", {}, ""),
    ],
)
def test_a_reference_is_named_from_the_included_resource_else_its_display_else_a_contained_one(
    reference, names, expected
):
    resource = {
        "contained": [
            {"resourceType": "Practitioner", "id": "p1", "name": [{"text": "Contained Person"}]},
            {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "#p1"}},
        ]
    }
    assert display_for(resource, reference, "Practitioner/spec-1", names) == expected


def test_a_name_is_bounded_and_free_of_controls():
    assert clean_name("Ada\u202e Heart\n MD" + "x" * 300) == ("Ada Heart MD" + "x" * 300)[:200]
    assert clean_name(None) == "" and clean_name("#p1") == "" and clean_name("urn:uuid:1234") == ""


def test_the_mappers_name_requester_performer_and_evidence_performer():
    names = people_names(INCLUDED)
    referral = mappers.service_request(fhir.service_request(), default_due_days=30, people=names)
    assert (referral.requester_display, referral.performer_display) == ("Ada Primary, MD", "Ada Heart, MD")
    note = mappers.consult_note(fhir.consult_note(author=[{"reference": "PractitionerRole/role-1"}]), names)
    assert (note.performer_ref, note.performer_display) == ("PractitionerRole/role-1", "Ada Heart, MD")
    visit = mappers.appointment(fhir.appointment(), {})
    assert (visit.performer_ref, visit.performer_display) == ("Practitioner/spec-1", "")


def test_the_sandbox_sync_asks_for_the_people_it_names():
    params = incremental_query(
        make_config("https://ehr.example.org/fhir"), "ServiceRequest", since=None
    ).params
    includes = [value for name, value in params if name == "_include"]
    assert includes == ["ServiceRequest:patient", "ServiceRequest:requester", "ServiceRequest:performer"]
    epic = make_config("https://ehr.example.org/fhir", vendor="epic")
    assert "_include" not in dict(incremental_query(epic, "ServiceRequest", since=None, patient="p-1").params)


def put(resource_type: str, *resources) -> None:
    store.referral_page_store(
        connection="sandbox", resource_type=resource_type, resources=list(resources), today=TODAY
    )


def names_of(sr_id: str = "sr-1") -> tuple[str, str]:
    row = Referral.objects.get(fhir_ref=f"ServiceRequest/{sr_id}")
    return row.requester_display, row.performer_display


@pytest.mark.django_db
def test_names_are_kept_updated_and_shared_across_the_connection_s_rows():
    put("ServiceRequest", fhir.service_request(), *INCLUDED)
    assert names_of() == ("Ada Primary, MD", "Ada Heart, MD")

    put("ServiceRequest", fhir.service_request(version=2, updated="2025-05-09T00:00:00Z"))  # nothing included
    assert names_of() == ("Ada Primary, MD", "Ada Heart, MD")

    put("Appointment", fhir.appointment(sr_id="sr-1"))  # its search included nobody
    assert Evidence.objects.get(fhir_ref="Appointment/a-1").performer_display == "Ada Heart, MD"

    put("DocumentReference", practitioner("spec-1", "Heart-Smith"))  # renamed in the EHR
    assert names_of()[1] == "Ada Heart-Smith, MD"
    assert Evidence.objects.get(fhir_ref="Appointment/a-1").performer_display == "Ada Heart-Smith, MD"

    put("ServiceRequest", fhir.service_request("sr-2", requester={"reference": "Practitioner/unknown"}))
    assert names_of("sr-2") == ("", "Ada Heart-Smith, MD")  # unknown: no name, never the reference


@pytest.mark.django_db
def test_a_page_redelivered_without_meta_changes_nothing_once_names_are_filled_in():
    put("ServiceRequest", fhir.service_request(), *INCLUDED)
    bare = fhir.appointment(sr_id="sr-1", version=None, updated=None)
    put("Appointment", bare)
    before = list(Evidence.objects.values_list("pk", "performer_display", "updated_at"))
    assert before[0][1] == "Ada Heart, MD"
    put("Appointment", bare)
    assert list(Evidence.objects.values_list("pk", "performer_display", "updated_at")) == before
