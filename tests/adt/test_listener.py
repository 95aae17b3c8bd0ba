"""The listener's ACKs over a real socket, original acknowledgement mode (MSH-15/16 empty): AA once the
message is committed (again for a duplicate); AR/AE with an ERR, and nothing stored, for what it refuses."""

import threading

import pytest
from django.db import DataError, OperationalError
from django.utils import timezone

from smartapp.adt import checks
from smartapp.adt import writer as writer_module
from smartapp.adt.inbox import Received
from smartapp.adt.models import InboundMessage
from smartapp.adt.parse import parse_message
from smartapp.audit.models import AuditEvent
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import MllpClient, ack_fields, adt

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener():
    with listening() as running:
        yield running


@pytest.fixture
def client(listener):
    with MllpClient(listener.address) as connected:
        yield connected


def refused_with(ack: bytes, problem: checks.Problem) -> bool:
    fields = ack_fields(ack)
    return (fields["code"], fields["error"], fields["location"]) == (
        problem.ack_code, problem.error_code, problem.location
    )  # fmt: skip


def test_it_answers_aa_once_the_message_is_stored(client):
    fields = ack_fields(client.exchange(adt("C1")))

    assert (fields["code"], fields["acknowledges"], fields["type"]) == ("AA", "C1", "ACK^A03^ACK")
    assert fields["control_id"] and fields["control_id"] != "C1"
    row = InboundMessage.objects.get()
    assert (row.control_id, bytes(row.raw)) == ("C1", adt("C1"))


def test_a_resent_message_gets_aa_again_and_is_stored_once(client):
    first, again = client.exchange(adt("C1")), client.exchange(adt("C1"))

    assert [ack_fields(a)["code"] for a in (first, again)] == ["AA", "AA"]
    assert InboundMessage.objects.count() == 1
    outcomes = (
        AuditEvent.objects.filter(action="adt.received").order_by("seq").values_list("outcome", flat=True)
    )
    assert list(outcomes) == ["accepted", "duplicate"]


def test_an_unparseable_message_gets_ar_and_is_not_stored(client):
    ack = client.exchange(b"this is not HL7 at all")

    assert refused_with(ack, checks.UNPARSEABLE)
    assert not InboundMessage.objects.exists()


def test_an_unsupported_event_gets_ar_and_is_not_stored(client):
    ack = client.exchange(adt("C1", event="A02"))

    assert refused_with(ack, checks.UNSUPPORTED_EVENT) and ack_fields(ack)["acknowledges"] == "C1"
    assert not InboundMessage.objects.exists()


def test_every_refused_message_is_audited_with_its_reason_and_no_content(client):
    client.exchange(b"this is not HL7 at all")
    client.exchange(adt("C1", event="A02"))
    client.exchange(adt("C2", pid3=""))

    events = AuditEvent.objects.filter(action="adt.received").order_by("seq")
    assert [(e.outcome, e.detail["reason"], e.detail["control_id"]) for e in events] == [
        ("rejected", "unparseable", ""),
        ("rejected", "unsupported_event", "C1"),
        ("rejected", "missing_pid3", "C2"),
    ]
    assert all(set(e.detail) == {"control_id", "event", "connection", "reason"} for e in events)


def test_an_unknown_sending_facility_gets_ar_and_is_not_stored(client):
    ack = client.exchange(adt("C1", facility="OTHERHOSP"))

    assert refused_with(ack, checks.UNKNOWN_FACILITY) and ack_fields(ack)["acknowledges"] == "C1"
    assert not InboundMessage.objects.exists()
    assert AuditEvent.objects.get(action="adt.received").outcome == "rejected"


def test_a_message_without_pid3_gets_ae_naming_the_field(client):
    ack = client.exchange(adt("C1", pid3=""))

    assert refused_with(ack, checks.MISSING_PID3) and ack_fields(ack)["location"] == "PID^1^3"
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_size_limit_gets_ar_and_the_next_one_is_read(settings):
    settings.ADT_MAX_MESSAGE_BYTES = 4096
    with listening() as listener, MllpClient(listener.address) as client:
        too_large = client.exchange(adt("BIG", padding=10_000))
        after = client.exchange(adt("C2"))

    assert refused_with(too_large, checks.TOO_LARGE) and ack_fields(too_large)["acknowledges"] == "BIG"
    assert ack_fields(after)["code"] == "AA"
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["C2"]


def test_a_database_error_answers_ae_207_and_the_next_batch_is_stored(client, monkeypatch):
    real_store, failures = writer_module.inbox_store, [OperationalError("server closed the connection")]

    def store_failing_once(items, *, listener):
        if failures:
            raise failures.pop()
        return real_store(items, listener=listener)

    monkeypatch.setattr(writer_module, "inbox_store", store_failing_once)
    unavailable = client.exchange(adt("C1"))
    resent = client.exchange(adt("C1"))

    assert refused_with(unavailable, checks.STORAGE_UNAVAILABLE)
    assert ack_fields(unavailable)["error"] == "207"
    assert ack_fields(resent)["code"] == "AA"
    assert InboundMessage.objects.count() == 1


def test_a_stop_finishes_the_batch_in_progress_before_closing(monkeypatch):
    real_store, entered, release = writer_module.inbox_store, threading.Event(), threading.Event()

    def store_slowly(items, *, listener):
        entered.set()
        release.wait(10)
        return real_store(items, listener=listener)

    monkeypatch.setattr(writer_module, "inbox_store", store_slowly)
    with listening() as listener, MllpClient(listener.address) as client:
        client.send(adt("C1"))
        assert entered.wait(10)
        listener.request_stop()
        release.set()
        ack = client.receive()
        assert client.closed_by_peer()

    assert ack_fields(ack)["code"] == "AA"
    assert InboundMessage.objects.count() == 1


def test_a_message_the_database_refuses_is_rejected_alone_and_its_batch_stored(monkeypatch):
    real_store = writer_module.inbox_store

    def store_refusing_bad(items, *, listener):
        if any(item.message.header.control_id == "BAD" for item in items):
            raise DataError("value too long for type character varying(199)")
        return real_store(items, listener=listener)

    monkeypatch.setattr(writer_module, "inbox_store", store_refusing_bad)
    batch = [received(control_id) for control_id in ("C1", "BAD", "C2")]

    results = writer_module.store_batch(batch, "host:1")

    assert [(r.outcome, r.problem) for r in results] == [
        ("accepted", None), ("rejected", checks.UNPARSEABLE), ("accepted", None)
    ]  # fmt: skip
    assert sorted(InboundMessage.objects.values_list("control_id", flat=True)) == ["C1", "C2"]


def received(control_id: str) -> Received:
    raw = adt(control_id)
    return Received(raw=raw, message=parse_message(raw), received_at=timezone.now())
