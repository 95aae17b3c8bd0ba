"""The follow-up state function: each rule of the precedence, then totality over every combination."""

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.referrals.facts import (
    APPOINTMENT,
    BASED_ON,
    DISCHARGE,
    ENCOUNTER,
    ENCOUNTER_LINK,
    FOCUS,
    INFERRED,
    NOTE,
    RELATED,
    TASK,
    EvidenceFacts,
    ReferralFacts,
)
from smartapp.referrals.state import STATES, WORKLIST_RANK, follow_up

FAST = settings(max_examples=300, deadline=None, database=None)
TODAY = date(2025, 6, 1)
SPECIALIST, PCP = "Practitioner/spec-1", "Practitioner/pcp-1"
REFERRAL = ReferralFacts(
    fhir_ref="ServiceRequest/sr-1",
    patient_ref="Patient/p-1",
    requester_ref=PCP,
    performer_ref=SPECIALIST,
    authored_on=date(2025, 4, 1),
    due_date=date(2025, 7, 1),
)
TASK_STATUSES = [
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
]  # fmt: skip
APPOINTMENT_STATUSES = [
    "proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
    "noshow", "entered-in-error", "checked-in", "waitlist",
]  # fmt: skip
SR_STATUSES = ["draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"]


def at(day: int) -> datetime:
    """Noon UTC, `day` days from TODAY."""
    return datetime(2025, 6, 1, 12, tzinfo=UTC) + timedelta(days=day)


def task(status: str, day: int = -10, ref: str = "Task/t-1", **more) -> EvidenceFacts:
    return EvidenceFacts(kind=TASK, fhir_ref=ref, status=status, date=at(day), link=BASED_ON, **more)


def appointment(status: str, day: int, ref: str = "Appointment/a-1", link: str = BASED_ON) -> EvidenceFacts:
    return EvidenceFacts(kind=APPOINTMENT, fhir_ref=ref, status=status, date=at(day), link=link)


def encounter(status: str, day: int = -5, link: str = BASED_ON) -> EvidenceFacts:
    return EvidenceFacts(kind=ENCOUNTER, fhir_ref="Encounter/e-1", status=status, date=at(day), link=link)


def note(author: str, type_code: str = "11488-4", link: str = RELATED) -> EvidenceFacts:
    return EvidenceFacts(
        kind=NOTE, fhir_ref="DocumentReference/d-1", status="current", date=at(-4),
        performer_ref=author, type_code=type_code, link=link,
    )  # fmt: skip


SEEN_INFERRED = appointment("fulfilled", -3, link=INFERRED)


@pytest.mark.parametrize(
    ("status", "evidence", "state", "reason"),
    [
        ("entered-in-error", [task("completed")], "cancelled", "Entered in error"),
        ("active", [task("completed"), encounter("finished")], "completed", "Task completed"),
        ("active", [appointment("fulfilled", -5), encounter("finished")], "completed", "Encounter finished"),
        ("active", [appointment("arrived", -5)], "completed", "Appointment arrived"),
        ("active", [appointment("checked-in", 0)], "completed", "Appointment checked-in"),
        ("active", [note(SPECIALIST, type_code="")], "completed", "Consult note"),
        ("active", [note("Practitioner/other")], "completed", "Consult note"),
        ("completed", [task("accepted")], "completed", "ServiceRequest completed"),
        ("revoked", [appointment("booked", 10)], "cancelled", "ServiceRequest revoked"),
        ("revoked", [task("completed")], "completed", "Task completed"),
        ("active", [task("cancelled")], "cancelled", "Task cancelled"),
        ("active", [task("rejected")], "declined", "Task rejected"),
        ("active", [task("rejected"), SEEN_INFERRED], "declined", "Task rejected"),
        ("active", [SEEN_INFERRED], "completed", "Appointment fulfilled (inferred)"),
        ("active", [appointment("booked", 3)], "scheduled", "Appointment booked for 4 Jun 2025"),
        ("active", [appointment("proposed", 0)], "scheduled", "Appointment proposed for 1 Jun 2025"),
        ("active", [appointment("noshow", -3)], "no-show", "Appointment noshow on 29 May 2025"),
        ("active", [appointment("noshow", -9), appointment("booked", 9, "Appointment/a-2")], "scheduled",
         "Appointment booked for 10 Jun 2025"),
        ("active", [appointment("noshow", -9), appointment("booked", -2, "Appointment/a-2")], "pending",
         "No follow-up recorded; due 1 Jul 2025"),
        ("active", [appointment("booked", -2)], "pending", "No follow-up recorded; due 1 Jul 2025"),
        ("active", [appointment("cancelled", 5), task("requested")], "pending",
         "No follow-up recorded; due 1 Jul 2025"),
        ("active", [], "pending", "No follow-up recorded; due 1 Jul 2025"),
    ],
)  # fmt: skip
def test_it_follows_the_documented_precedence(status, evidence, state, reason):
    result = follow_up(replace(REFERRAL, request_status=status), evidence, today=TODAY)
    assert (result.state, result.reason) == (state, reason)


def test_it_says_overdue_once_the_due_date_has_passed_with_nothing_scheduled():
    referral = replace(REFERRAL, due_date=date(2025, 5, 31))
    assert follow_up(referral, [task("requested")], today=TODAY).state == "overdue"
    assert follow_up(referral, [task("requested")], today=date(2025, 5, 31)).state == "pending"
    assert (
        follow_up(replace(referral, due_date=None), [], today=TODAY).reason
        == "No follow-up recorded; no due date"
    )


def test_it_ignores_evidence_entered_in_error():
    evidence = [task("completed", ref="Task/t-2"), encounter("finished")]
    wrong = [replace(e, status="entered-in-error") for e in evidence]
    assert follow_up(REFERRAL, wrong, today=TODAY).state == "pending"


def test_it_judges_cancel_and_decline_by_the_latest_task_only():
    reopened = [task("rejected", day=-20), task("accepted", day=-2, ref="Task/t-2")]
    assert follow_up(REFERRAL, reopened, today=TODAY).state == "pending"
    cancelled_later = [task("accepted", day=-20), task("cancelled", day=-2, ref="Task/t-2")]
    assert follow_up(REFERRAL, cancelled_later, today=TODAY).state == "cancelled"


def test_it_does_not_take_the_requesters_own_note_for_a_consult():
    referral_letter = note(PCP, type_code="57133-1")
    assert follow_up(REFERRAL, [referral_letter], today=TODAY).state == "pending"
    assert follow_up(REFERRAL, [note(PCP)], today=TODAY).state == "pending"


def test_it_counts_a_note_tied_through_its_encounter_as_direct_evidence():
    result = follow_up(REFERRAL, [note(SPECIALIST, link=ENCOUNTER_LINK)], today=TODAY)
    assert (result.state, result.inferred) == ("completed", False)


def test_it_shows_the_evidence_behind_the_state_strongest_first():
    evidence = [
        appointment("fulfilled", -6),
        task("completed"),
        encounter("finished"),
        task("accepted", ref="T/2"),
    ]
    result = follow_up(REFERRAL, evidence, today=TODAY)
    assert [e.kind for e in result.evidence] == [TASK, ENCOUNTER, APPOINTMENT]
    assert result.summary == "Task completed"  # references stay on the referral page


def test_it_marks_a_state_resting_on_inferred_evidence_as_inferred():
    result = follow_up(REFERRAL, [appointment("booked", 4, link=INFERRED)], today=TODAY)
    assert (result.state, result.inferred, result.reason) == (
        "scheduled",
        True,
        "Appointment booked for 5 Jun 2025 (inferred)",
    )


def test_it_completes_a_discharge_only_from_a_visit_after_it():
    stay = ReferralFacts(fhir_ref="Encounter/stay-1", kind=DISCHARGE, due_date=date(2025, 5, 25))
    assert follow_up(stay, [], today=TODAY).state == "overdue"
    assert follow_up(stay, [encounter("finished", link=INFERRED)], today=TODAY).state == "completed"


def test_the_worklist_rank_puts_overdue_and_no_show_first_and_covers_every_state():
    assert sorted(WORKLIST_RANK, key=WORKLIST_RANK.get)[:2] == ["overdue", "no-show"]
    assert set(WORKLIST_RANK) == set(STATES)


# Totality: every Task status x businessStatus x Appointment status x ServiceRequest status, with any links,
# dates and performers, gives a state, and the state does not depend on the order of the evidence.
links = st.sampled_from([BASED_ON, FOCUS, RELATED, ENCOUNTER_LINK, INFERRED, ""])
moments = st.none() | st.integers(-400, 400).map(at)
people = st.sampled_from(["", SPECIALIST, PCP, "Practitioner/other"])
evidence_items = st.one_of(
    st.builds(
        EvidenceFacts, kind=st.just(TASK), fhir_ref=st.sampled_from(["Task/t-1", "Task/t-2"]),
        status=st.sampled_from([*TASK_STATUSES, "", "bogus"]), business_status=st.text(max_size=20),
        date=moments, link=links, performer_ref=people,
    ),
    st.builds(
        EvidenceFacts, kind=st.just(APPOINTMENT), fhir_ref=st.sampled_from(["Appointment/a-1", "A/2"]),
        status=st.sampled_from([*APPOINTMENT_STATUSES, ""]), date=moments, link=links, performer_ref=people,
    ),
    st.builds(
        EvidenceFacts, kind=st.just(ENCOUNTER), fhir_ref=st.just("Encounter/e-1"),
        status=st.sampled_from(["planned", "in-progress", "finished", "cancelled", "entered-in-error", ""]),
        date=moments, link=links,
    ),
    st.builds(
        EvidenceFacts, kind=st.just(NOTE), fhir_ref=st.just("DocumentReference/d-1"),
        status=st.sampled_from(["current", "superseded", "entered-in-error"]),
        type_code=st.sampled_from(["11488-4", "11506-3", ""]), performer_ref=people, date=moments, link=links,
    ),
)  # fmt: skip
referrals = st.builds(
    ReferralFacts,
    fhir_ref=st.just("ServiceRequest/sr-1"),
    kind=st.sampled_from(["referral", "discharge"]),
    request_status=st.sampled_from([*SR_STATUSES, ""]),
    performer_ref=people,
    requester_ref=people,
    due_date=st.none() | st.dates(date(2024, 1, 1), date(2026, 12, 31)),
)


@FAST
@given(referral=referrals, evidence=st.lists(evidence_items, max_size=6), seed=st.integers(0, 1000))
def test_it_gives_every_combination_a_state_whatever_the_order(referral, evidence, seed):
    result = follow_up(referral, evidence, today=TODAY)
    assert result.state in STATES
    assert result.reason
    assert all(item in evidence for item in result.evidence)
    shuffled = list(evidence)
    random.Random(seed).shuffle(shuffled)
    assert follow_up(referral, shuffled, today=TODAY) == result


@FAST
@given(referral=referrals, evidence=st.lists(evidence_items, max_size=6), text=st.text(max_size=20))
def test_it_never_lets_the_business_status_decide(referral, evidence, text):
    relabelled = [replace(e, business_status=text) for e in evidence]
    assert (
        follow_up(referral, relabelled, today=TODAY).state == follow_up(referral, evidence, today=TODAY).state
    )


@FAST
@given(referral=referrals, evidence=st.lists(evidence_items, max_size=6))
def test_it_keeps_the_hard_rules_in_every_combination(referral, evidence):
    result = follow_up(referral, evidence, today=TODAY)
    if referral.request_status == "entered-in-error":
        assert result.state == "cancelled"
    elif any(e.kind == TASK and e.status == "completed" and e.link != INFERRED for e in evidence):
        assert (result.state, result.inferred) == ("completed", False)
    if result.state in ("scheduled", "no-show", "declined") or result.inferred:
        assert result.evidence
    if result.inferred:
        assert all(e.link == INFERRED for e in result.evidence[:1])
