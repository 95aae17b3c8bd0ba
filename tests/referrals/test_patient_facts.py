"""What a row says about its patient (MRN, date of birth, phone), from the Patients a sync includes."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.referrals import store
from smartapp.referrals.models import Referral
from smartapp.referrals.patient_facts import birth_date, mrn, patient_facts, phone

from . import fhir

TODAY = date(2025, 6, 1)
V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def typed(code: str, value: str, system: str = "https://ehr.example.org/ids", **more) -> dict:
    return {"type": {"coding": [{"system": V2, "code": code}]}, "system": system, "value": value, **more}


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (None, ""),
        ([], ""),
        ([typed("SS", "999-65-9492"), typed("MR", "MRN-1"), typed("DL", "S9999")], "MRN-1"),  # Synthea
        ([{"type": {"text": "MRN"}, "value": "E123"}], "E123"),  # type text only (Epic-style)
        ([{"type": {"coding": [{"code": "MR"}]}, "value": "no-system"}], "no-system"),
        ([{"system": "https://ehr.example.org/fhir/mrn", "value": "by-system"}], "by-system"),
        ([{"system": "urn:oid:1.2.3", "value": "just-an-id"}], ""),  # never any other identifier
        ([typed("SS", "999-65-9492")], ""),
        ([typed("MR", "old-1", use="old"), typed("MR", "new-1")], "new-1"),
        ([typed("MR", "usual-1", use="usual"), typed("MR", "official-1", use="official")], "official-1"),
        ([{"system": "x/mrn", "value": "by-system"}, {"type": {"text": "MRN"}, "value": "typed"}], "typed"),
        ([typed("MR", "ended", period={"end": "2020-01-01"}), typed("MR", "current")], "current"),
        ([typed("MR", "x" * 65)], ""),  # too long to be an MRN: not cut into one
        ([typed("MR", 12345), {"type": "MR", "value": "a"}, "MR", 7, typed("MR", "  ok  ")], "ok"),
    ],
)
def test_the_mrn_is_the_identifier_typed_mr(identifiers, expected):
    assert mrn(identifiers, today=TODAY) == expected


@pytest.mark.parametrize(
    ("telecoms", "expected"),
    [
        (None, ""),
        ([{"system": "email", "value": "a@example.org"}], ""),
        ([{"system": "phone", "value": "555-0100"}], "555-0100"),  # no use: still a phone
        (
            [
                {"system": "phone", "value": "w", "use": "work"},
                {"system": "phone", "value": "h", "use": "home"},
            ],
            "h",
        ),
        (
            [
                {"system": "phone", "value": "h", "use": "home"},
                {"system": "phone", "value": "m", "use": "mobile"},
            ],
            "m",
        ),
        ([{"system": "phone", "value": "gone", "use": "mobile", "period": {"end": "2024-12-31"}}], ""),
        ([{"system": "phone", "value": "old", "use": "old"}, {"system": "phone", "value": "n"}], "n"),
        ([{"system": "phone", "value": "b", "rank": 2}, {"system": "phone", "value": "a", "rank": 1}], "a"),
        (
            [{"system": "phone", "value": 5550100}, {"system": "phone"}, {"system": "PHONE", "value": "x"}],
            "x",
        ),
        ({"system": "phone", "value": "lone"}, "lone"),  # a 0..* element sent as one object
    ],
)
def test_the_phone_prefers_a_mobile_then_home_and_skips_ended_ones(telecoms, expected):
    assert phone(telecoms, today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1976-12-06", date(1976, 12, 6)),
        ("1976", None),
        ("1976-12", None),
        ("1976-02-30", None),
        (19761206, None),
    ],
)
def test_the_birth_date_is_a_whole_date_or_nothing(value, expected):
    assert birth_date(value) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_patient_facts_never_break_and_stay_bounded(junk):
    for resource in (
        junk,
        {"resourceType": "Patient", "identifier": junk, "telecom": junk, "name": junk, "birthDate": junk},
    ):
        facts = patient_facts(resource, today=TODAY)
        assert len(facts.mrn) <= 64 and len(facts.phone) <= 64 and len(facts.name) <= 200
        assert facts.birth_date is None or isinstance(facts.birth_date, date)


def patient(**elements) -> dict:
    return {**fhir.patient(), **elements}


def rows() -> list[tuple]:
    return list(
        Referral.objects.order_by("fhir_ref").values_list(
            "fhir_ref", "patient_display", "patient_mrn", "patient_birth_date", "patient_phone"
        )
    )


@pytest.mark.django_db
def test_every_stored_expectation_of_the_patient_gets_the_facts_of_the_included_patient():
    def put(resource_type, *resources):
        store.referral_page_store(
            connection="sandbox", resource_type=resource_type, resources=list(resources), today=TODAY
        )

    put("ServiceRequest", fhir.service_request("sr-1"))
    full = patient(
        identifier=[typed("MR", "MRN-1")],
        birthDate="1976-12-06",
        telecom=[{"system": "phone", "value": "555-0107", "use": "home"}],
    )
    put("Encounter", fhir.encounter("stay-1", klass="IMP"), full)
    assert rows() == [
        ("Encounter/stay-1", "Sample Name", "MRN-1", date(1976, 12, 6), "555-0107"),
        ("ServiceRequest/sr-1", "Sample Name", "MRN-1", date(1976, 12, 6), "555-0107"),
    ]
    store.referral_page_store(
        connection="other",
        resource_type="ServiceRequest",
        resources=[patient(identifier=[typed("MR", "X")])],
        today=TODAY,
    )
    assert {row[2] for row in rows()} == {"MRN-1"}  # another connection's patient is another patient

    put("Patient", patient(name=[], identifier=[typed("MR", "MRN-2")], birthDate="1976-12-06"))
    assert {row[1:] for row in rows()} == {("Sample Name", "MRN-2", date(1976, 12, 6), "")}  # phone removed


@pytest.mark.django_db
def test_a_new_expectation_of_a_known_patient_takes_the_facts_without_the_patient_included():
    # An incremental Bulk Data export sends a new referral but not its unchanged Patient.
    def put(*resources):
        store.referral_page_store(
            connection="sandbox", resource_type="ServiceRequest", resources=list(resources), today=TODAY
        )

    put(fhir.service_request("sr-1"), patient(identifier=[typed("MR", "MRN-1")], birthDate="1976-12-06"))
    put(fhir.service_request("sr-2"))
    store.referral_page_store(
        connection="other",
        resource_type="ServiceRequest",
        resources=[fhir.service_request("sr-3")],
        today=TODAY,
    )

    assert rows() == [
        ("ServiceRequest/sr-1", "Sample Name", "MRN-1", date(1976, 12, 6), ""),
        ("ServiceRequest/sr-2", "Sample Name", "MRN-1", date(1976, 12, 6), ""),
        ("ServiceRequest/sr-3", "", "", None, ""),  # another connection's patient is another patient
    ]
