"""Inferred links: evidence naming no ServiceRequest (Oracle Health Appointments) matched to a referral."""

from dataclasses import replace
from datetime import UTC, date, datetime

from smartapp.referrals import mappers
from smartapp.referrals.facts import APPOINTMENT, DISCHARGE, ENCOUNTER, NOTE, EvidenceFacts, ReferralFacts
from smartapp.referrals.linking import inferred_referrals, match_score

CARDIOLOGY = ReferralFacts(
    fhir_ref="ServiceRequest/sr-cardio",
    patient_ref="Patient/p-1",
    performer_ref="Practitioner/spec-1",
    specialty_code="183519002",
    specialty_display="Referral to cardiology service",
    authored_on=date(2025, 5, 1),
)
ORACLE_APPOINTMENT = {
    "resourceType": "Appointment",
    "id": "4817",
    "status": "booked",
    "serviceType": [{"coding": [{"code": "2572", "display": "Cardiology"}], "text": "Cardiology"}],
    "start": "2025-06-10T15:00:00Z",
    "participant": [
        {"actor": {"reference": "Patient/p-1"}},
        {"actor": {"reference": "Practitioner/other-cardiologist"}},
        {"actor": {"reference": "Location/21"}},
    ],
}


def visit(**changes) -> EvidenceFacts:
    base = EvidenceFacts(
        kind=APPOINTMENT,
        fhir_ref="Appointment/a-1",
        status="booked",
        date=datetime(2025, 5, 20, 10, tzinfo=UTC),
        patient_ref="Patient/p-1",
        performer_ref="Practitioner/spec-1",
    )
    return replace(base, **changes)


def test_it_links_an_oracle_appointment_without_based_on_by_specialty_and_dates():
    evidence = mappers.appointment(ORACLE_APPOINTMENT)
    assert inferred_referrals(evidence, [CARDIOLOGY]) == [CARDIOLOGY]
    assert match_score(evidence, CARDIOLOGY) == 1


def test_it_prefers_the_referral_whose_performer_it_is():
    other = replace(
        CARDIOLOGY,
        fhir_ref="ServiceRequest/sr-2",
        performer_ref="Practitioner/x",
        authored_on=date(2025, 5, 10),
    )
    assert inferred_referrals(visit(), [other, CARDIOLOGY]) == [CARDIOLOGY]


def test_it_prefers_the_latest_of_equally_good_referrals():
    later = replace(CARDIOLOGY, fhir_ref="ServiceRequest/sr-2", authored_on=date(2025, 5, 10))
    assert inferred_referrals(visit(), [CARDIOLOGY, later]) == [later]


def test_it_does_not_link_another_patient_or_a_visit_outside_the_window():
    assert match_score(visit(patient_ref="Patient/p-2"), CARDIOLOGY) == 0
    assert match_score(visit(patient_ref=""), replace(CARDIOLOGY, patient_ref="")) == 0
    before = visit(date=datetime(2025, 4, 30, 23, tzinfo=UTC))
    assert match_score(before, CARDIOLOGY) == 0
    assert match_score(visit(date=datetime(2025, 9, 1, tzinfo=UTC)), CARDIOLOGY) == 0
    assert match_score(visit(date=None), CARDIOLOGY) == 0


def test_it_does_not_link_another_specialty():
    dermatology = visit(performer_ref="Practitioner/derm", specialty_code="", specialty_text="dermatology")
    assert match_score(dermatology, CARDIOLOGY) == 0
    filler_only = visit(performer_ref="Practitioner/derm", specialty_text="referral service clinic")
    assert match_score(filler_only, CARDIOLOGY) == 0


def test_it_links_a_consult_note_only_by_its_author():
    by_performer = visit(kind=NOTE, fhir_ref="DocumentReference/d-1", status="current")
    assert match_score(by_performer, CARDIOLOGY) == 2
    by_colleague = replace(by_performer, performer_ref="Practitioner/x", specialty_text="cardiology")
    assert match_score(by_colleague, CARDIOLOGY) == 0


def test_it_links_any_outpatient_visit_after_a_discharge_but_not_a_readmission():
    discharge = ReferralFacts(
        fhir_ref="Encounter/stay-1", kind=DISCHARGE, patient_ref="Patient/p-1", authored_on=date(2025, 5, 15)
    )
    office = visit(kind=ENCOUNTER, fhir_ref="Encounter/v-1", status="finished", type_code="AMB")
    assert inferred_referrals(office, [discharge, CARDIOLOGY]) == [discharge, CARDIOLOGY]
    readmission = replace(office, type_code="IMP")
    assert inferred_referrals(readmission, [discharge]) == []
    note = visit(kind=NOTE, fhir_ref="DocumentReference/d-1")
    assert match_score(note, discharge) == 0


def test_it_links_nothing_to_a_referral_entered_in_error():
    wrong = replace(CARDIOLOGY, request_status="entered-in-error")
    assert inferred_referrals(visit(), [wrong]) == []
