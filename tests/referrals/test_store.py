"""Storing pages: idempotent, newest version wins, evidence before its referral, one transaction per page."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from smartapp.referrals import store
from smartapp.referrals.models import Evidence, OutreachNote, Referral, SyncWatermark
from smartapp.referrals.recompute import referral_states_refresh
from smartapp.referrals.selectors import referrals_in_worklist_order, watermark_of

from . import fhir

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 1)


def put(resource_type: str, *resources, today: date = TODAY) -> store.PageSummary:
    return store.referral_page_store(
        connection="sandbox", resource_type=resource_type, resources=list(resources), today=today
    )


def referral(sr_id: str = "sr-1") -> Referral:
    return Referral.objects.get(connection="sandbox", fhir_ref=f"ServiceRequest/{sr_id}")


def links(sr_id: str = "sr-1") -> set[tuple[str, str]]:
    return {(e.fhir_ref, e.link) for e in referral(sr_id).evidence.all()}


def snapshot() -> tuple:
    """Every stored value, timestamps of writes included: equal snapshots mean nothing was written."""
    tables = (Referral, Evidence, SyncWatermark)
    return tuple(sorted(map(repr, model.objects.values_list())) for model in tables)


def test_it_stores_a_referral_with_its_evidence_and_state():
    summary = put("ServiceRequest", fhir.service_request(), fhir.task(), fhir.appointment(sr_id="sr-1"))
    assert (summary.created, summary.updated, summary.unchanged, summary.skipped) == (3, 0, 0, 0)
    row = referral()
    assert (row.state, row.state_evidence) == (
        "scheduled",
        "Appointment booked for 10 Jun 2025",
    )
    assert (row.due_date, row.performer_ref, row.last_evidence_at) == (
        date(2025, 6, 15),
        "Practitioner/spec-1",
        datetime(2025, 6, 10, 15, tzinfo=UTC),
    )
    assert links() == {("Task/t-1", "based_on"), ("Appointment/a-1", "based_on")}


def test_it_changes_nothing_when_the_same_page_is_stored_twice():
    page = [fhir.service_request(), fhir.task(), fhir.appointment(), fhir.encounter(), fhir.consult_note()]
    put("ServiceRequest", *page)
    before = snapshot()
    summary = put("ServiceRequest", *page)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 5)
    assert snapshot() == before


def test_it_changes_nothing_on_a_redelivered_page_without_meta():
    page = [fhir.service_request(meta=None), fhir.task(meta=None)]
    put("ServiceRequest", *page)
    before = snapshot()
    assert put("ServiceRequest", *page).unchanged == 2
    assert snapshot() == before
    assert put("Task", fhir.task(meta=None, status="completed")).updated == 1
    assert referral().state == "completed"


def test_it_never_overwrites_a_newer_version_with_an_older_one():
    put("ServiceRequest", fhir.service_request(version=2, updated="2025-05-05T00:00:00Z", status="revoked"))
    put("Task", fhir.task(status="completed", version=3, updated="2025-05-09T00:00:00Z"))
    summary = put(
        "ServiceRequest",
        fhir.service_request(version=1),
        fhir.task(status="accepted", version=2, updated="2025-05-04T00:00:00Z"),
    )
    assert (summary.unchanged, summary.updated) == (2, 0)
    row = referral()
    assert (row.request_status, row.version_id, row.state) == ("revoked", "2", "completed")
    assert Evidence.objects.get().status == "completed"


def test_it_keeps_the_newest_when_a_page_holds_a_resource_twice():
    newer, older = fhir.task(status="completed", version=2, updated="2025-05-09T00:00:00Z"), fhir.task()
    put("Task", newer, older)
    assert Evidence.objects.get().version_id == "2"


def test_it_keeps_evidence_that_arrives_before_its_referral():
    put("Task", fhir.task(status="rejected"))
    assert Evidence.objects.get().referral is None
    put("ServiceRequest", fhir.service_request())
    assert links() == {("Task/t-1", "based_on")}
    assert referral().state == "declined"


def test_it_links_an_oracle_appointment_without_based_on_whichever_comes_first():
    put("Appointment", fhir.appointment(status="fulfilled", start="2025-05-20T15:00:00Z"))
    put("ServiceRequest", fhir.service_request())
    assert links() == {("Appointment/a-1", "inferred")}
    row = referral()
    assert (row.state, row.state_inferred) == ("completed", True)
    put("ServiceRequest", fhir.service_request("sr-2", performer=[{"reference": "Practitioner/spec-9"}]))
    assert links("sr-2") == set()  # the same performer's referral keeps the match


def test_it_replaces_an_inferred_link_once_the_evidence_names_its_referral():
    put("ServiceRequest", fhir.service_request(), fhir.service_request("sr-2", authoredOn="2025-04-01"))
    put("Appointment", fhir.appointment())
    assert links() == {("Appointment/a-1", "inferred")}
    put("Appointment", fhir.appointment(sr_id="sr-2", version=2, updated="2025-05-04T00:00:00Z"))
    assert (links(), links("sr-2")) == (set(), {("Appointment/a-1", "based_on")})
    assert Evidence.objects.filter(fhir_ref="Appointment/a-1").count() == 1
    assert (referral().state, referral("sr-2").state) == ("pending", "scheduled")


def test_it_ties_a_consult_note_to_the_referral_through_its_encounter():
    put("DocumentReference", fhir.consult_note(author=[{"reference": "Practitioner/someone-else"}]))
    put("Encounter", fhir.encounter(sr_id="sr-1", status="in-progress"))
    put("ServiceRequest", fhir.service_request())
    assert links() == {("Encounter/v-1", "based_on"), ("DocumentReference/d-1", "encounter")}
    assert referral().state_evidence == "Consult note"


def test_it_expects_a_follow_up_after_a_discharge_and_sees_the_visit(settings):
    settings.REFERRAL_FOLLOW_UP_RULES = {"discharge-inpatient": {"due_days": 14}}
    stay = fhir.encounter("stay-1", klass="IMP", end="2025-05-10T12:00:00Z")
    put("Encounter", stay)
    row = Referral.objects.get(fhir_ref="Encounter/stay-1")
    assert (row.kind, row.due_date, row.state) == ("discharge", date(2025, 5, 24), "overdue")
    assert (row.follow_up_rule, row.request_status) == ("discharge-inpatient", "finished")
    put("Encounter", fhir.encounter("visit-2", end="2025-05-16T10:00:00Z"))
    row.refresh_from_db()
    assert (row.state, row.state_evidence, row.state_inferred) == (
        "completed",
        "Encounter finished (inferred)",
        True,
    )


def test_it_cancels_a_discharge_whose_stay_was_entered_in_error():
    put("Encounter", fhir.encounter("stay-1", klass="EMER"))
    put(
        "Encounter",
        fhir.encounter("stay-1", klass="EMER", status="entered-in-error", version=2, updated=None),
    )
    assert Referral.objects.get().state == "cancelled"


def test_it_skips_poison_resources_and_stores_the_rest():
    page = ["garbage", {"resourceType": "Task"}, {"id": "x"}, {"resourceType": "Task", "id": "../x"}]
    summary = put("ServiceRequest", *page, fhir.service_request(), {"resourceType": "OperationOutcome"})
    assert (summary.skipped, summary.created, summary.ignored) == (4, 1, 1)
    assert referral().state == "pending"


def test_it_ignores_service_requests_that_are_not_referrals():
    lab = fhir.service_request(category=[{"coding": [{"code": "108252007"}]}], code={"text": "HbA1c"})
    assert put("ServiceRequest", lab).ignored == 1
    assert not Referral.objects.exists()


def test_it_takes_patient_names_from_included_patients_and_keeps_them():
    put("ServiceRequest", fhir.service_request(), fhir.patient())
    assert referral().patient_display == "Sample Name"
    put("ServiceRequest", fhir.service_request(version=2, updated="2025-05-06T00:00:00Z"))
    assert referral().patient_display == "Sample Name"
    put("Patient", fhir.patient(name="Other Sample"))
    assert referral().patient_display == "Other Sample"


def test_it_moves_the_watermark_forward_only():
    newest = fhir.service_request(updated="2025-05-07T00:00:00Z")
    summary = put(
        "ServiceRequest", fhir.service_request("sr-2"), newest, fhir.task(updated="2025-05-30T00:00:00Z")
    )
    assert summary.watermark == datetime(
        2025, 5, 7, tzinfo=UTC
    )  # the Task does not move the ServiceRequests'
    assert put("ServiceRequest", fhir.service_request("sr-3")).watermark == datetime(2025, 5, 7, tzinfo=UTC)
    assert put("ServiceRequest").watermark == datetime(2025, 5, 7, tzinfo=UTC)
    assert watermark_of(connection="sandbox", resource_type="Task") is None
    put("Task", fhir.task(updated="2025-05-30T00:00:00Z"))
    assert watermark_of(connection="sandbox", resource_type="Task") == datetime(2025, 5, 30, tzinfo=UTC)
    assert watermark_of(connection="other", resource_type="Task") is None


def test_it_rolls_back_the_whole_page_with_its_watermark_on_failure(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "states_recompute", fail)
    with pytest.raises(RuntimeError):
        put("ServiceRequest", fhir.service_request(), fhir.task())
    assert (Referral.objects.count(), Evidence.objects.count(), SyncWatermark.objects.count()) == (0, 0, 0)


def test_it_keeps_connections_apart():
    put("ServiceRequest", fhir.service_request())
    store.referral_page_store(connection="other", resource_type="Task", resources=[fhir.task()], today=TODAY)
    assert links() == set()
    assert Evidence.objects.get().referral is None


def _page(size: int) -> list[dict]:
    pairs = [(fhir.service_request(f"sr-{n}"), fhir.task(f"t-{n}", f"sr-{n}")) for n in range(size)]
    return [resource for pair in pairs for resource in pair]


def test_it_makes_as_many_queries_for_a_big_page_as_for_a_small_one():
    # Per page, not per resource. Only SQLite's cap on query parameters (999) splits a big INSERT of
    # wide rows into batches, so INSERTs are counted apart: a few batches, never one per row.
    counts, inserts = [], []
    for first, size in ((0, 3), (100, 40)):
        page = [r | {"id": f"{r['id']}-{first}"} for r in _page(size)]
        with CaptureQueriesContext(connection) as queries:
            put("ServiceRequest", *page)
        sql = [query["sql"] for query in queries.captured_queries]
        counts.append(sum(not statement.startswith("INSERT INTO") for statement in sql))
        inserts.append(sum(statement.startswith("INSERT INTO") for statement in sql))
    assert counts[0] == counts[1]
    assert inserts[1] <= inserts[0] + 2


def test_it_refreshes_states_that_time_changes():
    put("ServiceRequest", fhir.service_request())
    assert referral().state == "pending"
    assert referral_states_refresh(today=date(2025, 6, 20)) == 1
    assert referral().state == "overdue"
    assert referral_states_refresh(today=date(2025, 6, 20), connection="sandbox") == 0


def test_it_lists_overdue_and_no_show_first_then_by_due_date():
    put(
        "ServiceRequest",
        fhir.service_request("sr-late", occurrenceDateTime="2025-05-20"),
        fhir.service_request("sr-later", occurrenceDateTime="2025-05-25"),
        fhir.service_request("sr-missed"),
        fhir.appointment(status="noshow", start="2025-05-28T10:00:00Z", sr_id="sr-missed"),
        fhir.service_request("sr-open"),
    )
    order = [row.fhir_ref.split("/")[1] for row in referrals_in_worklist_order()]
    assert order == ["sr-late", "sr-later", "sr-missed", "sr-open"]


def test_it_refuses_an_outreach_note_submitted_twice():
    put("ServiceRequest", fhir.service_request())
    OutreachNote.objects.create(referral=referral(), text="Left a message", idempotency_key="k-1")
    with pytest.raises(IntegrityError):
        OutreachNote.objects.create(referral=referral(), text="Left a message", idempotency_key="k-1")
