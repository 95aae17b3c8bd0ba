"""The listener's ACKs over a real socket, original acknowledgement mode (MSH-15/16 empty): AA once the
message is committed (again for a duplicate); AR/AE with an ERR, and nothing stored, for what it refuses."""

import asyncio
import threading

import pytest
from django.db import DataError, OperationalError
from django.utils import timezone

from smartapp.adt import checks
from smartapp.adt import writer as writer_module
from smartapp.adt.inbox import ACCEPTED, Received, Stored
from smartapp.adt.models import InboundMessage
from smartapp.adt.parse import parse_message
from smartapp.adt.writer import BatchWriter
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


def run_writer(scenario) -> list[list]:
    """Run scenario(writer) against a BatchWriter whose store records each batch instead of storing it."""
    batches = []

    def record(items, listener):
        batches.append(list(items))
        return [Stored(ACCEPTED)] * len(items)

    async def main():
        writer = BatchWriter(listener="host:1")
        writer.start()
        try:
            await scenario(writer)
        finally:
            await writer.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer_module, "store_batch", record)
        asyncio.run(main())
    return batches


@pytest.fixture
def long_linger(monkeypatch):
    # Long enough that a test finishing in time proves no batch waited it out.
    monkeypatch.setattr(writer_module, "LINGER_SECONDS", 30.0)
    monkeypatch.setattr(writer_module, "SENDING_WINDOW_SECONDS", 30.0)


def test_a_batch_waits_for_a_connection_that_is_sending(long_linger):
    a, b = object(), object()

    async def scenario(writer):
        await asyncio.gather(writer.submit("a0", source=a), writer.submit("b0", source=b))
        first = writer.submit("a1", source=a)
        await asyncio.sleep(0.05)
        assert not first.done()  # b sent a moment ago: its next message is awaited
        await asyncio.wait_for(asyncio.gather(first, writer.submit("b1", source=b)), 5)

    assert run_writer(scenario) == [["a0", "b0"], ["a1", "b1"]]


def test_a_lone_or_closed_connection_never_holds_a_batch(long_linger):
    a, b = object(), object()

    async def scenario(writer):
        await asyncio.wait_for(writer.submit("a0", source=a), 5)  # nobody else is sending
        await asyncio.gather(writer.submit("a1", source=a), writer.submit("b1", source=b))
        writer.forget(b)  # b's connection closed
        await asyncio.wait_for(writer.submit("a2", source=a), 5)

    assert run_writer(scenario) == [["a0"], ["a1", "b1"], ["a2"]]


def test_the_connection_is_checked_after_a_pause_or_a_failure_not_before_every_batch(monkeypatch):
    checks_made, failures = [], [OperationalError("server closed the connection")]

    def store(items, *, listener):
        if failures and items[0] == "fail":
            raise failures.pop()
        return [Stored(ACCEPTED)] * len(items)

    monkeypatch.setattr(writer_module, "inbox_store", store)
    monkeypatch.setattr(writer_module, "close_old_connections", lambda: checks_made.append(1))
    monkeypatch.setattr(writer_module._last_use, "at", float("-inf"), raising=False)
    for _ in range(3):
        writer_module.store_batch(["ok"], "host:1")
    assert len(checks_made) == 1  # the first batch after the (endless) pause only

    writer_module.store_batch(["fail"], "host:1")
    assert len(checks_made) == 2  # the failed batch's connection is dropped if broken

    monkeypatch.setattr(writer_module, "CHECK_AFTER_IDLE_SECONDS", 0.0)
    writer_module.store_batch(["ok"], "host:1")
    assert len(checks_made) == 3
