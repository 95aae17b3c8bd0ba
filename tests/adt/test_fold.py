"""The fold: a visit's messages in MSH-7 order give what the visit is now, whatever order they arrived in."""

import itertools
from datetime import UTC, datetime, timedelta

from smartapp.adt.contents import AdtMessage, Diagnosis, Header, PatientIdentifier, Person
from smartapp.adt.encounter import encounter_resource, encounter_status
from smartapp.adt.fold import CANCELLED, FINISHED, IN_PROGRESS, follow_up_status, visit_fold

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MRN = PatientIdentifier("MRN-1", "SBX", "MR")


def message(event: str, minutes: int, **fields) -> AdtMessage:
    header = Header(
        message_time=START + timedelta(minutes=minutes), trigger_event=event, control_id=f"c{minutes}"
    )
    values = {"identifiers": (MRN,), "patient_class": "I", "visit_number": "V1", **fields}
    return AdtMessage(header=header, event=event, **values)


def fold(*messages: AdtMessage):
    return visit_fold(list(enumerate(messages, start=1)))


def test_an_admit_makes_a_visit_in_progress_of_its_class():
    visit = fold(message("A01", 0, patient_class="E"))
    assert (visit.status, visit.encounter_class, visit.ever_discharged) == (IN_PROGRESS, "EMER", False)
    assert visit.registered_at == START and follow_up_status(visit) is None


def test_a_registration_of_an_outpatient_is_an_ambulatory_visit_that_took_place():
    visit = fold(message("A04", 0, patient_class="O"))
    assert (visit.status, visit.encounter_class) == (IN_PROGRESS, "AMB")
    assert encounter_status(visit) == FINISHED


def test_a_discharge_finishes_the_visit_at_pv1_45_else_evn_2_else_msh_7():
    at_45 = START + timedelta(hours=5)
    evn = START + timedelta(hours=4)
    assert fold(message("A01", 0), message("A03", 60, discharged_at=at_45)).discharged_at == at_45
    assert fold(message("A03", 60, event_time=evn)).discharged_at == evn
    visit = fold(message("A01", 0), message("A03", 60))
    assert (visit.status, visit.discharged_at, follow_up_status(visit)) == (
        FINISHED,
        START + timedelta(hours=1),
        FINISHED,
    )


def test_a_cancelled_discharge_cancels_the_follow_up_and_a_later_discharge_brings_it_back():
    cancelled = fold(message("A01", 0), message("A03", 60), message("A13", 70))
    assert (cancelled.status, follow_up_status(cancelled)) == (IN_PROGRESS, CANCELLED)
    again = fold(message("A01", 0), message("A03", 60), message("A13", 70), message("A03", 80))
    assert (follow_up_status(again), again.discharged_at) == (FINISHED, START + timedelta(minutes=80))


def test_a_cancelled_admit_cancels_the_visit_even_after_its_discharge():
    assert fold(message("A01", 0), message("A11", 10)).status == CANCELLED
    after = fold(message("A01", 0), message("A03", 60), message("A11", 70))
    assert (after.status, follow_up_status(after)) == (CANCELLED, CANCELLED)


def test_an_admit_resent_after_the_discharge_does_not_reopen_the_stay():
    visit = fold(message("A01", 0), message("A03", 60), message("A01", 70))
    assert follow_up_status(visit) == FINISHED


def test_every_arrival_order_of_a01_a03_a13_a03_gives_the_same_visit():
    messages = [message("A01", 0), message("A03", 60), message("A13", 70), message("A03", 80)]
    pairs = list(enumerate(messages, start=1))
    results = {visit_fold(list(order)) for order in itertools.permutations(pairs)}
    assert len(results) == 1
    (visit,) = results
    assert (follow_up_status(visit), visit.discharged_at) == (FINISHED, START + timedelta(minutes=80))


def test_a_message_folded_twice_changes_nothing_but_the_count():
    once = fold(message("A01", 0), message("A03", 60))
    twice = fold(message("A01", 0), message("A03", 60), message("A03", 60))
    assert (twice.status, twice.discharged_at, twice.patient) == (
        once.status,
        once.discharged_at,
        once.patient,
    )
    assert twice.version == once.version + 1  # a later fold is a newer version: never older than stored


def test_an_update_changes_the_patient_and_visit_facts_of_later_folds():
    visit = fold(
        message("A01", 0, patient_name="Ann Old", phone="555-0100", attending=Person("D1", "Dr One")),
        message("A08", 10, patient_name="Ann New", birth_date="1950-01-04", patient_class=""),
        message("A03", 60, phone="", diagnoses=(Diagnosis("I50.9", "Heart failure", "I10"),)),
    )
    assert (visit.patient.name, visit.patient.birth_date, visit.patient.phone) == (
        "Ann New",
        "1950-01-04",
        "555-0100",
    )
    assert (visit.attending.name, visit.encounter_class) == ("Dr One", "IMP")
    assert visit.newest_time == START + timedelta(minutes=60)


def test_a_message_without_msh_7_folds_first():
    late = AdtMessage(header=Header(), event="A03", visit_number="V1", patient_class="I")
    visit = visit_fold([(5, late), (1, message("A13", 10))])
    assert follow_up_status(visit) == CANCELLED


def test_the_encounter_of_a_discharge_is_what_the_fhir_mapper_reads():
    visit = fold(
        message("A01", 0, admitted_at=START, attending=Person("D1", "Dr One")),
        message("A03", 60, diagnoses=(Diagnosis("I50.9", "Heart failure", "I10C"),)),
    )
    resource = encounter_resource(visit, patient_ref="Patient/p-1")
    assert resource["status"] == "finished" and resource["class"] == {"code": "IMP"}
    assert resource["period"] == {"start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat()}
    assert resource["subject"] == {"reference": "Patient/p-1"}
    assert resource["participant"] == [{"individual": {"display": "Dr One"}}]
    coding = resource["reasonCode"][0]["coding"][0]
    assert coding == {
        "code": "I50.9",
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "display": "Heart failure",
    }
