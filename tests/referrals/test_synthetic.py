"""The sandbox's synthetic referrals, stored page by page: the right states, whatever the order of pages."""

from datetime import date, timedelta

import pytest

from smartapp.referrals.models import Evidence, Referral
from smartapp.referrals.store import referral_page_store
from smartapp.sandbox.synthetic import catalog, generate

pytestmark = pytest.mark.django_db
ANCHOR = date(2025, 6, 1)
TYPES = ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference")
PAGE_SIZE = 25


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return generate(seed=7, anchor=ANCHOR)


def pages(resources: list[dict], types=TYPES) -> list[tuple[str, list[dict]]]:
    out = []
    for resource_type in types:
        bodies = [body for body in resources if body["resourceType"] == resource_type]
        out += [(resource_type, bodies[i : i + PAGE_SIZE]) for i in range(0, len(bodies), PAGE_SIZE)]
    return out


def sync(connection: str, page_list) -> None:
    for resource_type, page in page_list:
        referral_page_store(connection=connection, resource_type=resource_type, resources=page, today=ANCHOR)


def outcome(connection: str) -> tuple[set, set]:
    referrals = set(
        Referral.objects.filter(connection=connection).values_list(
            "fhir_ref", "kind", "state", "state_evidence"
        )
    )
    evidence = set(
        Evidence.objects.filter(connection=connection, referral__isnull=False).values_list(
            "referral__fhir_ref", "fhir_ref", "link", "status"
        )
    )
    return referrals, evidence


def states_of_the_referral_patient(connection: str) -> dict[str, str]:
    refs = {f"ServiceRequest/{sr}": state for state, sr in catalog.FOLLOW_UP_REFERRAL_IDS.items()}
    rows = Referral.objects.filter(connection=connection, fhir_ref__in=refs)
    return {refs[row.fhir_ref]: row.state for row in rows}


def test_it_gives_each_seeded_referral_its_follow_up_situation(resources):
    sync("sandbox", pages(resources))
    assert states_of_the_referral_patient("sandbox") == {state: state for state in catalog.FOLLOW_UP_STATES}


def test_it_ends_the_same_whether_referrals_or_evidence_arrive_first(resources):
    sync("referrals-first", pages(resources))
    sync("evidence-first", list(reversed(pages(resources))))
    assert outcome("referrals-first") == outcome("evidence-first")


def test_it_changes_nothing_when_a_whole_sync_is_delivered_again(resources):
    sync("sandbox", pages(resources))
    before = outcome("sandbox"), list(Referral.objects.values_list("pk", "updated_at"))
    sync("sandbox", pages(resources))
    assert (outcome("sandbox"), list(Referral.objects.values_list("pk", "updated_at"))) == before


def test_it_infers_the_same_states_when_appointments_name_no_referral(resources):
    oracle_style = [
        {k: v for k, v in body.items() if k != "basedOn"} if body["resourceType"] == "Appointment" else body
        for body in resources
    ]
    sync("oracle", pages(oracle_style))
    assert states_of_the_referral_patient("oracle") == {state: state for state in catalog.FOLLOW_UP_STATES}
    scheduled = Referral.objects.get(
        connection="oracle", fhir_ref=f"ServiceRequest/{catalog.FOLLOW_UP_REFERRAL_IDS['scheduled']}"
    )
    assert scheduled.state_inferred


def test_it_expects_follow_up_after_each_seeded_discharge(resources):
    sync("sandbox", pages(resources, types=("Encounter",)))
    stay = Referral.objects.get(fhir_ref=f"Encounter/{catalog.INPATIENT_ENCOUNTER_ID}")
    assert (stay.kind, stay.due_date, stay.state) == (
        "discharge",
        ANCHOR + timedelta(days=-3 + 30),
        "pending",
    )
    assert (stay.follow_up_rule, stay.request_status) == ("discharge-inpatient", "finished")
    assert Referral.objects.filter(
        fhir_ref=f"Encounter/{catalog.EMERGENCY_ENCOUNTER_ID}", kind="discharge"
    ).exists()
