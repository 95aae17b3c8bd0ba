"""Processing stored messages end to end on the database: claim, fold, match (a fake EHR), the worklist."""

from datetime import timedelta

import pytest

from smartapp.adt import matching
from smartapp.adt.models import IGNORED, PARKED, PENDING, PROCESSED, InboundMessage
from smartapp.adt.process import LEASE, adt_process_pending, due_filter, messages_claim
from smartapp.audit.models import AuditEvent
from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals.models import Evidence, Referral

from .hl7_messages import START, raw, store
from .test_matching import FakeEhr

pytestmark = pytest.mark.django_db

MRN_KEY = "https://sandbox.smartapp.example/fhir/mrn|MRN-1"


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr({MRN_KEY: ["p-1"]})
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    return fake


def process(minutes_later: int = 0):
    from django.utils import timezone

    return adt_process_pending(now=timezone.now() + timedelta(minutes=minutes_later))


def discharge() -> Referral:
    return Referral.objects.get(kind="discharge")


def test_an_inpatient_discharge_becomes_a_follow_up_on_the_worklist(ehr):
    rows = store(raw("A01", 0), raw("A03", 60, discharged="", diagnosis="I50.9^Heart failure^I10"))
    report = process()
    assert (report.processed, report.parked, report.ignored, report.retry) == (2, 0, 0, 0)
    row = discharge()
    assert (row.fhir_ref, row.visit_number, row.patient_ref) == ("adt-visit/V1", "V1", "Patient/p-1")
    assert (row.follow_up_rule, row.due_date) == (
        "discharge-heart-failure",
        (START + timedelta(hours=1)).date() + timedelta(days=7),
    )
    assert (row.request_status, row.state, row.requester_display) == ("finished", "pending", "Dr One")
    assert (row.patient_display, row.patient_mrn, row.patient_phone) == ("Ann Doe", "MRN-1", "555-0100")
    for message in InboundMessage.objects.filter(pk__in=[r.pk for r in rows]):
        assert (message.status, message.referral_id, message.patient_ref) == (
            PROCESSED,
            row.pk,
            "Patient/p-1",
        )
        assert (message.claimed_by, message.app_ack_code) == ("", "")
    events = AuditEvent.objects.filter(action="adt.processed")
    assert [(e.outcome, e.patient_ref) for e in events] == [("processed", "p-1")] * 2
    assert all("Ann" not in str(e.detail) and "MRN" not in str(e.detail) for e in events)


def test_messages_out_of_order_give_the_state_of_the_messages_in_order(ehr):
    store(raw("A03", 80, visit="V9"))
    process()
    store(raw("A13", 70, visit="V9"))
    process()
    store(raw("A01", 0, visit="V9"), raw("A03", 60, visit="V9"))
    process()
    row = discharge()
    assert (row.request_status, row.state) == ("finished", "pending")
    assert row.authored_on == (START + timedelta(minutes=80)).date()
    assert InboundMessage.objects.filter(status=PROCESSED).count() == 4


def test_a_late_cancel_with_an_older_msh_7_still_cancels_the_follow_up(ehr):
    store(raw("A01", 0), raw("A03", 60), raw("A08", 90))
    process()
    store(raw("A13", 70))
    process()
    assert (discharge().request_status, discharge().state) == ("cancelled", "cancelled")
    store(raw("A03", 100))
    process()
    assert discharge().state == "pending"
    assert Referral.objects.count() == 1


def test_processing_again_changes_nothing(ehr):
    store(raw("A01", 0), raw("A03", 60))
    process()
    before = list(Referral.objects.values())
    assert adt_process_pending() == type(adt_process_pending())()  # nothing due
    InboundMessage.objects.update(status=PENDING)
    assert process().processed == 2
    assert list(Referral.objects.values()) == before


def test_test_and_debug_messages_are_ignored_and_answered_ar(ehr):
    (row,) = store(raw("A03", 60, processing_id="T", app_ack="AL"))
    assert process().ignored == 1
    row.refresh_from_db()
    assert (row.status, row.reason, row.app_ack_code) == (IGNORED, "not_production", "AR")
    assert not Referral.objects.exists()


def test_an_unmatched_patient_is_parked_then_matched_again_when_its_retry_is_due(ehr, settings):
    ehr.answers = {}
    (row,) = store(raw("A03", 60, app_ack="ER"))
    assert process().parked == 1
    row.refresh_from_db()
    assert (row.status, row.reason, row.app_ack_code) == (PARKED, "no_match", "AE")
    assert row.next_attempt_at is not None and not Referral.objects.exists()
    assert process().parked == 0  # not due yet
    ehr.answers = {MRN_KEY: ["p-1"]}
    later = int(settings.ADT_PARKED_RETRY_SECONDS // 60) + 1
    assert process(later).processed == 1
    assert discharge().patient_ref == "Patient/p-1"


def test_an_unavailable_ehr_leaves_the_message_pending_with_a_backoff(ehr):
    ehr.error = EhrUnavailable()
    (row,) = store(raw("A03", 60))
    assert process().retry == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == (PENDING, 1, "")
    assert row.next_attempt_at is not None
    assert process().retry == 0  # backing off
    ehr.error = None
    assert process(2).processed == 1


def test_two_holders_never_claim_the_same_message_and_a_crashed_claim_lapses(ehr):
    from django.utils import timezone

    store(raw("A01", 0), raw("A03", 60))
    now = timezone.now()
    first = messages_claim(due_filter(now), limit=10, holder="listener-a", now=now)
    second = messages_claim(due_filter(now), limit=10, holder="listener-b", now=now)
    assert (len(first), second) == (2, [])
    assert adt_process_pending(now=now).processed == 0  # claimed by a run that crashed
    later = now + LEASE + timedelta(seconds=1)
    assert adt_process_pending(now=later, holder="listener-b").processed == 2


def test_an_outpatient_visit_after_the_discharge_completes_its_follow_up(ehr):
    store(raw("A01", 0), raw("A03", 60))
    store(raw("A04", 24 * 60, visit="V2", patient_class="O"))
    process()
    evidence = Evidence.objects.get(fhir_ref="adt-visit/V2", target_ref="")
    assert (evidence.kind, evidence.type_code, evidence.visit_number, evidence.status) == (
        "encounter", "AMB", "V2", "finished")  # fmt: skip
    row = discharge()
    assert (row.state, row.state_inferred) == ("completed", True)


def test_an_inpatient_readmission_does_not_complete_the_earlier_discharge(ehr):
    store(raw("A01", 0), raw("A03", 60))
    store(raw("A01", 24 * 60, visit="V2"), raw("A03", 48 * 60, visit="V2"))
    process()
    first = Referral.objects.get(visit_number="V1")
    assert first.state == "pending" and Referral.objects.count() == 2
    assert not Evidence.objects.exists()


def test_an_update_without_a_visit_number_updates_the_patient_facts(ehr):
    store(raw("A01", 0), raw("A03", 60))
    process()
    store(raw("A08", 90, visit="", name="Doe^Anna", phone="555-0199"))
    assert process().processed == 1
    assert (discharge().patient_display, discharge().patient_phone) == ("Anna Doe", "555-0199")


def test_a_discharge_without_a_visit_number_is_ignored(ehr):
    (row,) = store(raw("A03", 60, visit=""))
    assert process().ignored == 1
    row.refresh_from_db()
    assert row.reason == "no_visit_number"


def test_the_sweep_task_processes_until_nothing_is_due(ehr):
    from smartapp.adt.tasks import process_pending

    store(raw("A01", 0), raw("A03", 60), raw("A04", 0, visit="V3", patient_class="O"))
    assert process_pending() == 3
    assert process_pending() == 0
