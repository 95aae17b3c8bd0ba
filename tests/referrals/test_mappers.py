"""FHIR R4 JSON to follow-up facts, on the sandbox's shapes and on messy vendor data."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.referrals import mappers
from smartapp.referrals.elements import Unparseable, reference_key
from smartapp.referrals.facts import BASED_ON, FOCUS, RELATED, Version

FAST = settings(max_examples=150, deadline=None, database=None)
SNOMED = "http://snomed.info/sct"


def referral(**elements) -> dict:
    """A ServiceRequest shaped like the sandbox's (see smartapp/sandbox/synthetic/referrals.py)."""
    body = {
        "resourceType": "ServiceRequest",
        "id": "sr-1",
        "meta": {"versionId": "3", "lastUpdated": "2025-05-02T10:00:00Z"},
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]}],
        "code": {
            "coding": [{"system": SNOMED, "code": "183519002", "display": "Referral to cardiology service"}],
            "text": "Referral to cardiology service",
        },
        "subject": {"reference": "Patient/p-1"},
        "occurrenceDateTime": "2025-06-15",
        "authoredOn": "2025-05-01T10:00:00Z",
        "requester": {"reference": "Practitioner/pcp-1"},
        "performer": [{"reference": "Practitioner/spec-1"}],
        "reasonCode": [{"text": "Palpitations"}],
    }
    body.update(elements)
    return {key: value for key, value in body.items() if value is not None}


def test_it_reads_a_sandbox_referral():
    facts = mappers.service_request(referral(), default_due_days=30)
    assert facts.fhir_ref == "ServiceRequest/sr-1"
    assert (facts.patient_ref, facts.requester_ref, facts.performer_ref) == (
        "Patient/p-1",
        "Practitioner/pcp-1",
        "Practitioner/spec-1",
    )
    assert (facts.specialty_code, facts.specialty_display) == ("183519002", "Referral to cardiology service")
    assert (facts.authored_on, facts.due_date, facts.request_status) == (
        date(2025, 5, 1),
        date(2025, 6, 15),
        "active",
    )
    assert facts.reason == "Palpitations"
    assert facts.version == Version(datetime(2025, 5, 2, 10, tzinfo=UTC), "3")


@pytest.mark.parametrize(
    ("category", "code", "is_referral"),
    [
        (None, {"text": "Referral to dermatology"}, True),
        (None, {"text": "Hemoglobin A1c"}, False),
        ([{"text": "Outpatient Referral"}], None, True),
        ([{"coding": [{"system": "urn:oid:1.2.3", "code": "REF", "display": "referral"}]}], None, True),
        (
            [{"coding": [{"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}]}],
            None,
            False,
        ),
        ("not-a-list", {"text": "Referral to cardiology"}, True),
    ],
)
def test_it_tells_referrals_from_other_service_requests(category, code, is_referral):
    body = referral(category=category, code=code)
    assert (mappers.service_request(body, default_due_days=30) is not None) is is_referral


def test_it_takes_the_due_date_from_the_period_end_or_a_default_after_authoring():
    period = referral(occurrenceDateTime=None, occurrencePeriod={"start": "2025-05-01", "end": "2025-07-04"})
    assert mappers.service_request(period, default_due_days=30).due_date == date(2025, 7, 4)
    bare = referral(occurrenceDateTime=None)
    assert mappers.service_request(bare, default_due_days=30).due_date == date(2025, 5, 31)
    undated = referral(occurrenceDateTime="soon", authoredOn=None)
    assert mappers.service_request(undated, default_due_days=30).due_date is None


def test_it_reads_absolute_and_versioned_references():
    body = referral(
        subject={"reference": "https://ehr.example.org/fhir/R4/Patient/p-9/_history/4"},
        performer=[
            {"reference": "urn:uuid:0f7c"},
            {"reference": "https://ehr.example.org/fhir/Practitioner/s-2"},
        ],
        requester={"reference": "Practitioner?identifier=123"},
    )
    facts = mappers.service_request(body, default_due_days=30)
    assert (facts.patient_ref, facts.performer_ref, facts.requester_ref) == (
        "Patient/p-9",
        "Practitioner/s-2",
        "",
    )


def test_it_resolves_contained_resources_and_ignores_unknown_extensions():
    body = referral(
        performer=[{"reference": "#role"}],
        subject={"reference": "#pat"},
        extension=[{"url": "http://vendor.example/x", "valueString": "anything"}],
        modifierExtension="garbage",
        contained=[
            {
                "resourceType": "PractitionerRole",
                "id": "role",
                "practitioner": {"reference": "Practitioner/spec-7"},
                "specialty": [{"coding": [{"system": SNOMED, "code": "394579002", "display": "Cardiology"}]}],
            },
            {"resourceType": "Patient", "id": "pat", "name": [{"given": ["Test"], "family": "Person"}]},
        ],
        code=None,
    )
    facts = mappers.service_request(body, default_due_days=30)
    assert (facts.performer_ref, facts.specialty_code, facts.specialty_display) == (
        "Practitioner/spec-7",
        "394579002",
        "Cardiology",
    )
    assert (facts.patient_ref, facts.patient_display) == ("", "Test Person")


def test_it_prefers_performer_type_and_takes_names_from_included_patients():
    body = referral(performerType={"coding": [{"code": "394589003", "display": "Nephrology"}]})
    facts = mappers.service_request(body, default_due_days=30, patient_names={"Patient/p-1": "Sample Name"})
    assert (facts.specialty_code, facts.patient_display) == ("394589003", "Sample Name")


@pytest.mark.parametrize(
    "body",
    [
        "not a resource",
        {"resourceType": "ServiceRequest"},
        {"resourceType": "ServiceRequest", "id": "../admin"},
        {"resourceType": "ServiceRequest", "id": 12},
        {"resourceType": "Task", "id": "t-1"},
    ],
)
def test_it_refuses_resources_without_a_usable_id(body):
    with pytest.raises(Unparseable):
        mappers.service_request(body, default_due_days=30)


def test_it_survives_wrong_types_everywhere():
    body = referral(
        authoredOn=20250501,
        occurrenceDateTime={"x": 1},
        performer="Practitioner/1",
        requester=["x"],
        reasonCode="chest pain",
        status=None,
        meta="v1",
        subject=None,
    )
    facts = mappers.service_request(body, default_due_days=30)
    assert (facts.request_status, facts.due_date, facts.performer_ref, facts.version) == (
        "unknown",
        None,
        "",
        Version(),
    )


def test_it_reads_a_task_and_its_service_request_from_based_on_or_focus():
    body = {
        "resourceType": "Task",
        "id": "t-1",
        "status": "Completed",
        "businessStatus": {"coding": [{"code": "done", "display": "Consult completed"}]},
        "basedOn": [{"reference": "https://ehr.example.org/fhir/ServiceRequest/sr-1"}],
        "focus": {"reference": "ServiceRequest/sr-2"},
        "for": {"reference": "Patient/p-1"},
        "owner": {"reference": "Practitioner/spec-1"},
        "lastModified": "2025-05-20T08:30:00-05:00",
    }
    facts = mappers.task(body)
    assert facts.targets == (("ServiceRequest/sr-1", BASED_ON), ("ServiceRequest/sr-2", FOCUS))
    assert (facts.status, facts.business_status) == ("completed", "Consult completed")
    assert facts.date == datetime(2025, 5, 20, 13, 30, tzinfo=UTC)
    assert mappers.task({**body, "basedOn": [], "focus": {"reference": "Patient/p-1"}}) is None


def test_it_reads_an_oracle_style_appointment_without_based_on():
    body = {
        "resourceType": "Appointment",
        "id": "4817",
        "status": "booked",
        "serviceType": [
            {"coding": [{"system": "https://fhir.cerner.com/x", "code": "2572", "display": "Cardiology"}]}
        ],
        "start": "2025-06-10T15:00:00.000Z",
        "participant": [
            {"type": [{"text": "Location"}], "actor": {"reference": "Location/21"}},
            {"actor": {"reference": "Patient/p-1", "display": "Sample Name"}},
            {"actor": {"reference": "Practitioner/spec-1"}},
        ],
    }
    facts = mappers.appointment(body)
    assert facts.targets == ()
    assert (facts.patient_ref, facts.performer_ref, facts.specialty_code) == (
        "Patient/p-1",
        "Practitioner/spec-1",
        "2572",
    )
    assert "cardiology" in facts.specialty_text
    assert facts.date == datetime(2025, 6, 10, 15, tzinfo=UTC)


def test_it_accepts_the_stu3_incoming_referral_as_based_on():
    body = {
        "resourceType": "Appointment",
        "id": "a-1",
        "incomingReferral": [{"reference": "ServiceRequest/sr-1"}],
    }
    assert mappers.appointment(body).targets == (("ServiceRequest/sr-1", BASED_ON),)


def stay(**elements) -> dict:
    body = {
        "resourceType": "Encounter",
        "id": "stay-1",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/p-1"},
        "participant": [{"individual": {"reference": "Practitioner/hosp-1"}}],
        "period": {"start": "2025-05-20T14:00:00Z", "end": "2025-05-25T12:00:00Z"},
    }
    return {**body, **elements}


def test_it_expects_a_follow_up_after_a_hospital_discharge():
    facts = mappers.discharge(stay())
    assert (facts.kind, facts.fhir_ref, facts.request_status) == ("discharge", "Encounter/stay-1", "finished")
    assert (facts.authored_on, facts.due_date, facts.requester_ref, facts.follow_up_rule) == (
        date(2025, 5, 25),
        date(2025, 6, 24),
        "Practitioner/hosp-1",
        "discharge-inpatient",
    )
    assert mappers.encounter(stay()) is None  # the stay itself is not follow-up evidence


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"class": [{"coding": [{"code": "EMER"}]}]}, "finished"),  # R5 shape: a list of CodeableConcepts
        ({"class": {"display": "Inpatient"}}, "finished"),
        ({"class": {"code": "ACUTE"}}, "finished"),
        ({"status": "entered-in-error"}, "entered-in-error"),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "in-progress"}, None),
        ({"class": {"code": "AMB"}}, None),
        ({"period": {"start": "2025-05-20"}}, None),
    ],
)
def test_it_only_counts_finished_inpatient_or_emergency_stays_with_an_end(changes, expected):
    facts = mappers.discharge(stay(**changes))
    assert (facts.request_status if facts else None) == expected


def test_it_reads_a_visit_based_on_a_referral():
    body = stay(
        id="visit-1",
        **{"class": {"code": "AMB"}},
        basedOn=[{"reference": "ServiceRequest/sr-1"}],
        serviceType={"coding": [{"code": "394579002", "display": "Cardiology"}]},
    )
    facts = mappers.encounter(body)
    assert (facts.targets, facts.type_code, facts.specialty_code) == (
        (("ServiceRequest/sr-1", BASED_ON),),
        "AMB",
        "394579002",
    )
    assert facts.date == datetime(2025, 5, 20, 14, tzinfo=UTC)


def note(**elements) -> dict:
    body = {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4", "display": "Consult note"}]},
        "subject": {"reference": "Patient/p-1"},
        "date": "2025-05-28T15:00:00Z",
        "author": [{"reference": "Practitioner/spec-1"}],
        "context": {"encounter": [{"reference": "Encounter/visit-1"}]},
    }
    return {**body, **elements}


def test_it_reads_a_consult_note_with_its_encounter_and_referral():
    facts = mappers.consult_note(note())
    assert (facts.type_code, facts.performer_ref, facts.via_ref, facts.targets) == (
        "11488-4",
        "Practitioner/spec-1",
        "Encounter/visit-1",
        (),
    )
    related = note(
        context={"related": [{"reference": "ServiceRequest/sr-1"}], "period": {"start": "2025-05-28"}}
    )
    assert mappers.consult_note({**related, "date": None}).targets == (("ServiceRequest/sr-1", RELATED),)


def test_it_ignores_other_notes_and_marks_notes_entered_in_error():
    progress = {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]}
    assert mappers.consult_note(note(type=progress)) is None
    assert mappers.consult_note(note(docStatus="entered-in-error")).status == "entered-in-error"


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("Patient/p-1", "Patient/p-1"),
        ("http://h/fhir/Patient/p-1/", "Patient/p-1"),
        ("#p1", ""),
        ("Patient/../../etc", ""),
        ("patient/p-1", ""),
        ("p-1", ""),
    ],
)
def test_it_keys_references_safely(reference, key):
    assert reference_key({"reference": reference}) == key


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = [
    "status", "category", "code", "subject", "performer", "performerType", "requester", "authoredOn",
    "occurrenceDateTime", "occurrencePeriod", "basedOn", "focus", "for", "owner", "businessStatus",
    "participant", "start", "class", "period", "type", "context", "author", "date", "contained", "meta",
    "reasonCode",
]  # fmt: skip
MAPPERS = [
    ("ServiceRequest", lambda body: mappers.service_request(body, default_due_days=30)),
    ("Task", mappers.task),
    ("Appointment", mappers.appointment),
    ("Encounter", mappers.encounter),
    ("Encounter", lambda body: mappers.discharge(body)),
    ("DocumentReference", mappers.consult_note),
]


@FAST
@given(which=st.sampled_from(MAPPERS), junk=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8))
def test_it_never_breaks_on_arbitrary_json_in_any_element(which, junk):
    resource_type, mapper = which
    mapper({**junk, "resourceType": resource_type, "id": "x-1"})
