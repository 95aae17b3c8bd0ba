"""inbox_store: a batch in one transaction, duplicates by (sender, MSH-10), one audit event per message."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from smartapp.adt import checks
from smartapp.adt.contents import AdtMessage, Header, PatientIdentifier
from smartapp.adt.inbox import ACCEPTED, DUPLICATE, REJECTED, Received, inbox_store
from smartapp.adt.models import PENDING, InboundMessage
from smartapp.audit.models import AuditEvent
from smartapp.audit.services import audit_record_many
from smartapp.audit.verify import chain_verify

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def received(control_id: str, *, facility: str = "SBXHOSP", at: datetime = T0, app_ack: str = "") -> Received:
    header = Header(
        sending_application="ENGINE",
        sending_facility=facility,
        message_time=T0 - timedelta(minutes=5),
        message_type="ADT",
        trigger_event="A03",
        control_id=control_id,
        processing_id="P",
        version="2.5.1",
        accept_ack="AL" if app_ack else "",
        app_ack=app_ack,
    )
    message = AdtMessage(header=header, event="A03", identifiers=(PatientIdentifier("SBX1", "SBX", "MR"),),
                         visit_number="V77")  # fmt: skip
    return Received(raw=f"MSH|raw {control_id}\r".encode(), message=message, received_at=at)


def adt_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="adt.received").order_by("seq"))


def test_it_stores_a_new_message_with_its_keys_and_audits_it():
    [stored] = inbox_store([received("C1", app_ack="AL")], listener="host:1")

    row = InboundMessage.objects.get()
    assert (stored.outcome, stored.problem, stored.message_id) == (ACCEPTED, None, row.pk)
    assert (row.sender, row.control_id, row.connection, row.event) == (
        "ENGINE^SBXHOSP",
        "C1",
        "sandbox",
        "A03",
    )
    assert (row.visit_number, row.accept_ack, row.app_ack, row.listener) == ("V77", "AL", "AL", "host:1")
    assert (row.status, bytes(row.raw), row.received_at) == (PENDING, b"MSH|raw C1\r", T0)
    assert row.message_time == T0 - timedelta(minutes=5)
    [audit] = adt_audits()
    assert (audit.outcome, audit.detail) == (
        ACCEPTED, {"control_id": "C1", "event": "A03", "connection": "sandbox", "reason": ""}
    )  # fmt: skip


def test_a_resent_message_is_a_duplicate_of_the_row_already_stored():
    [first] = inbox_store([received("C1")], listener="host:1")
    [again] = inbox_store([received("C1", at=T0 + timedelta(seconds=3))], listener="host:1")

    assert (again.outcome, again.message_id) == (DUPLICATE, first.message_id)
    assert InboundMessage.objects.count() == 1
    assert [a.outcome for a in adt_audits()] == [ACCEPTED, DUPLICATE]


def test_a_second_copy_inside_one_batch_is_a_duplicate():
    results = inbox_store([received("C1"), received("C2"), received("C1")], listener="host:1")

    assert [r.outcome for r in results] == [ACCEPTED, ACCEPTED, DUPLICATE]
    assert results[2].message_id == results[0].message_id
    assert InboundMessage.objects.count() == 2


def test_a_row_another_listener_stored_is_a_duplicate_here():
    inbox_store([received("C1")], listener="other:2")
    [stored] = inbox_store([received("C1")], listener="host:1")  # same received_at, another listener

    assert stored.outcome == DUPLICATE


def test_an_unknown_sending_facility_is_rejected_and_not_stored():
    results = inbox_store([received("C1", facility="NOSUCH"), received("C2")], listener="host:1")

    assert [(r.outcome, r.problem) for r in results] == [
        (REJECTED, checks.UNKNOWN_FACILITY),
        (ACCEPTED, None),
    ]
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["C2"]
    rejected = adt_audits()[0]
    assert (rejected.outcome, rejected.detail["reason"], rejected.detail["connection"]) == (
        REJECTED, checks.UNKNOWN_FACILITY.reason, ""
    )  # fmt: skip


def test_the_batch_audit_events_keep_the_chain_verifiable():
    inbox_store([received(f"C{n}") for n in range(5)], listener="host:1")
    inbox_store([received("C1"), received("C9")], listener="host:1")

    report = chain_verify(AuditEvent.objects.order_by("seq"))
    assert (report.count, report.broken) == (7, None)


def test_audit_record_many_of_nothing_appends_nothing():
    assert audit_record_many([]) == []
    assert not AuditEvent.objects.exists()


def test_each_accepted_message_gets_the_id_of_its_own_row():
    results = inbox_store([received("C3"), received("C1"), received("C2")], listener="host:1")

    ids = dict(InboundMessage.objects.values_list("control_id", "pk"))
    assert [r.message_id for r in results] == [ids["C3"], ids["C1"], ids["C2"]]


def test_without_insert_returning_the_outcomes_are_the_same(monkeypatch):
    # SQLite before 3.35 has no RETURNING: the rows are read back (and audit events saved one by one).
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    inbox_store([received("C1")], listener="other:2")
    results = inbox_store([received("C1"), received("C2"), received("C2")], listener="host:1")

    ids = dict(InboundMessage.objects.values_list("control_id", "pk"))
    assert [(r.outcome, r.message_id) for r in results] == [
        (DUPLICATE, ids["C1"]), (ACCEPTED, ids["C2"]), (DUPLICATE, ids["C2"])
    ]  # fmt: skip
    assert chain_verify(AuditEvent.objects.order_by("seq")).broken is None
