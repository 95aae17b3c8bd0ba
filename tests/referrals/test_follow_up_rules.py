"""Follow-up rules: the due date per discharge kind, which evidence counts within which window, late
follow-ups, encounter statuses as they are, and a deployment's overrides."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from smartapp.referrals import follow_up_rules as rules
from smartapp.referrals import mappers
from smartapp.referrals.checks import follow_up_rules_check
from smartapp.referrals.facts import APPOINTMENT, DISCHARGE, ENCOUNTER, INFERRED, EvidenceFacts, ReferralFacts
from smartapp.referrals.linking import match_score
from smartapp.referrals.models import Evidence, Referral
from smartapp.referrals.state import follow_up
from smartapp.referrals.store import referral_page_store
from smartapp.sandbox.synthetic import catalog, generate

from . import fhir

TABLE = rules.rule_table()
SNOMED, ICD10 = "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm"


def stay(klass="IMP", status="finished", **elements) -> dict:
    body = {
        "resourceType": "Encounter",
        "id": "stay-1",
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": "Patient/p-1"},
        "period": {"start": "2025-05-20T14:00:00Z", "end": "2025-05-25T12:00:00Z"},
    }
    return {**body, **elements}


def reason(system: str | None, code: str, display: str = "") -> dict:
    coding = {"system": system, "code": code, "display": display}
    return {"reasonCode": [{"coding": [{k: v for k, v in coding.items() if v}]}]}


@pytest.mark.parametrize(
    ("elements", "rule", "due_days"),
    [
        (reason(SNOMED, "84114007", "Heart failure"), rules.HEART_FAILURE, 7),
        (reason(SNOMED, "88805009", "Chronic congestive heart failure (disorder)"), rules.HEART_FAILURE, 7),
        (reason(ICD10, "I50.9"), rules.HEART_FAILURE, 7),
        (reason(None, "I11.0"), rules.HEART_FAILURE, 7),  # hypertensive heart disease with heart failure
        ({"reasonCode": [{"text": "Acute decompensated heart failure"}]}, rules.HEART_FAILURE, 7),
        (reason(SNOMED, "57054005", "Acute myocardial infarction"), rules.AMI, 14),
        (reason(ICD10, "J44.1"), rules.COPD, 14),
        (reason(SNOMED, "233604007", "Pneumonia"), rules.PNEUMONIA, 14),
        (reason(SNOMED, "55680006", "Drug overdose"), rules.INPATIENT, 30),
        (reason(ICD10, "I50.9", "") | {"class": {"code": "EMER"}}, rules.EMERGENCY, 7),
        ({}, rules.INPATIENT, 30),
        ({"class": {"code": "EMER"}}, rules.EMERGENCY, 7),
        (reason(SNOMED, "I50.9"), rules.INPATIENT, 30),  # an ICD-10 code said to be SNOMED: no match
    ],
)
def test_each_discharge_kind_has_its_due_date(elements, rule, due_days):
    facts = mappers.discharge(stay(**elements))
    assert (facts.follow_up_rule, facts.due_date) == (rule, date(2025, 5, 25) + timedelta(days=due_days))


def test_the_diagnosis_can_come_from_a_condition_and_the_earliest_due_wins():
    contained = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"system": SNOMED, "code": "13645005"}]},
    }
    copd = mappers.discharge(stay(contained=[contained], diagnosis=[{"condition": {"reference": "#c1"}}]))
    assert copd.follow_up_rule == rules.COPD
    both = stay(
        diagnosis=[{"condition": {"reference": "#c1"}}],
        contained=[contained],
        reasonReference=[{"reference": "Condition/9", "display": "Congestive heart failure"}],
    )
    facts = mappers.discharge(both)
    assert (facts.follow_up_rule, facts.reason) == (rules.HEART_FAILURE, "Congestive heart failure")


def test_a_deployment_can_change_the_days_of_a_rule_and_nothing_else():
    table = rules.rule_table({rules.INPATIENT: {"due_days": 14, "match_days": 90}}, referral_due_days=21)
    assert (table[rules.INPATIENT].due_days, table[rules.INPATIENT].match_days) == (14, 90)
    assert table[rules.REFERRAL].due_days == 21
    assert mappers.discharge(stay(), rules=table).due_date == date(2025, 6, 8)
    for bad in (
        {"discharge-typo": {"due_days": 3}},
        {rules.INPATIENT: {"due_days": -1}},
        {rules.INPATIENT: {"due_days": "14"}},
        {rules.INPATIENT: {"due_days": True}},
        {rules.INPATIENT: {"evidence": []}},
        {rules.INPATIENT: 14},
        ["discharge-inpatient"],
    ):
        with pytest.raises(rules.RulesInvalid):
            rules.rule_table(bad)


def test_every_rule_names_its_source():
    assert all(rule.source for rule in rules.RULES)
    assert {rule.name for rule in rules.RULES} >= set(rules.CONDITIONS)


# Which evidence counts, within which window.

DISCHARGED = ReferralFacts(
    fhir_ref="Encounter/stay-1",
    kind=DISCHARGE,
    request_status="finished",
    patient_ref="Patient/p-1",
    authored_on=date(2025, 1, 10),
    due_date=date(2025, 1, 17),
    follow_up_rule=rules.HEART_FAILURE,
)


def visit(days_after: int, kind=ENCOUNTER, klass="AMB", status="finished") -> EvidenceFacts:
    moment = datetime(2025, 1, 10, 9, tzinfo=UTC) + timedelta(days=days_after)
    return EvidenceFacts(
        kind=kind,
        fhir_ref=f"{kind.title()}/v-{days_after}",
        status=status,
        date=moment,
        patient_ref="Patient/p-1",
        type_code=klass if kind == ENCOUNTER else "",
    )


@pytest.mark.parametrize(
    ("evidence", "counts"),
    [
        (visit(3), True),
        (visit(200), True),  # months late: still the follow-up (marked late)
        (visit(365), True),
        (visit(366), False),
        (visit(-1), False),  # before the discharge
        (visit(3, klass="VR"), True),  # a virtual visit
        (visit(3, klass="HH"), True),  # a home visit
        (visit(3, klass="OBSENC"), False),  # observation is another stay
        (visit(3, klass="EMER"), False),  # a return to the emergency department is no follow-up
        (visit(3, kind=APPOINTMENT, status="booked"), True),
        (visit(3, kind="note"), False),  # a note alone does not show the patient was seen after the stay
    ],
)
def test_a_discharge_is_followed_up_by_a_visit_within_its_window(evidence, counts):
    assert bool(match_score(evidence, DISCHARGED, rules=TABLE)) is counts


def test_a_cancelled_or_erroneous_stay_is_followed_up_by_nothing_and_cancels_its_follow_up():
    for status, why in (("cancelled", "Stay cancelled"), ("entered-in-error", "Entered in error")):
        voided = replace(DISCHARGED, request_status=status)
        assert match_score(visit(3), voided, rules=TABLE) == 0
        assert (
            follow_up(voided, [], today=date(2025, 6, 1)).state,
            follow_up(voided, [], today=date(2025, 6, 1)).reason,
        ) == ("cancelled", why)


def test_a_late_follow_up_completes_and_says_it_was_late():
    late = replace(visit(40), link=INFERRED)
    result = follow_up(DISCHARGED, [late], today=date(2025, 6, 1))
    assert (result.state, result.reason, result.inferred) == (
        "completed",
        "Encounter finished (inferred, late)",
        True,
    )
    on_time = follow_up(DISCHARGED, [replace(visit(5), link=INFERRED)], today=date(2025, 6, 1))
    assert on_time.reason == "Encounter finished (inferred)"


def test_a_referral_is_due_on_its_requested_date_else_after_the_default_and_names_its_rule():
    requested = mappers.service_request(fhir.service_request(), default_due_days=30)
    unrequested = mappers.service_request(fhir.service_request(occurrenceDateTime=None), default_due_days=30)
    assert (requested.follow_up_rule, requested.due_date) == (rules.REFERRAL, date(2025, 6, 15))
    assert unrequested.due_date == date(2025, 5, 31)
    window = rules.match_window(requested, TABLE[rules.REFERRAL])
    assert window == (date(2025, 5, 1), date(2025, 8, 29))  # 120 days after it was written
    far = replace(requested, due_date=date(2025, 12, 1))
    assert rules.match_window(far, TABLE[rules.REFERRAL])[1] == date(2025, 12, 1)  # up to a later due date


# The sandbox's pat-007: a check-up months after a discharge is that discharge's follow-up.


@pytest.mark.django_db
def test_the_sandbox_inpatient_patient_s_earlier_discharge_is_followed_up_by_the_later_check_up():
    anchor = date(2026, 11, 20)
    record = [r for r in generate(seed=catalog.DEFAULT_SEED, anchor=anchor) if _of_patient(r, "pat-007")]
    for resource_type in ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference"):
        page = [r for r in record if r["resourceType"] == resource_type]
        referral_page_store(connection="sandbox", resource_type=resource_type, resources=page, today=anchor)

    earlier = Referral.objects.filter(kind="discharge", authored_on=anchor - timedelta(days=416)).get()
    evidence = Evidence.objects.filter(referral=earlier).values_list("kind", "link", "status")
    assert ("encounter", "inferred", "finished") in set(evidence)
    assert (earlier.state, earlier.state_inferred, earlier.request_status) == ("completed", True, "finished")
    assert "late" in earlier.state_evidence
    latest = Referral.objects.get(fhir_ref=f"Encounter/{catalog.INPATIENT_ENCOUNTER_ID}")
    assert (latest.state, latest.request_status, latest.follow_up_rule) == (
        "pending",
        "finished",
        rules.INPATIENT,
    )


def _of_patient(resource: dict, patient_id: str) -> bool:
    ref = f"Patient/{patient_id}"
    return resource.get("id") == patient_id or ref in str(resource)


def test_a_bad_rule_setting_is_a_start_up_error(settings):
    assert follow_up_rules_check() == []
    settings.REFERRAL_FOLLOW_UP_RULES = {"discharge-inpatient": {"due_days": "soon"}}
    assert [error.id for error in follow_up_rules_check()] == ["referrals.E001"]
