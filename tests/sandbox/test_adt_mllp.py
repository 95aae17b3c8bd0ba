"""The sandbox's MLLP client against a fake listener: ACKs awaited, resends, and each fault on the wire."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from smartapp.sandbox.adt import wire
from smartapp.sandbox.adt.mllp import ClientOptions, MllpClient, Outgoing
from tests.sandbox.adt_fake_listener import END, START, FakeListener

QUICK = ClientOptions(ack_timeout=0.5, max_attempts=3, retry_pause=0.01, read_delay=0.2)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def message(control_id: str, event: str = "A03", minutes: int = 0) -> Outgoing:
    sent_at = T0 + timedelta(minutes=minutes)
    msh = f"MSH|^~\\&|SBXADT|SBXHOSP|SMARTAPP|SMARTAPP|{sent_at:%Y%m%d%H%M%S}||ADT^{event}"
    text = f"{msh}|{control_id}|P|2.5.1\r"
    return Outgoing(control_id, (text + "PID|1||SBX000001^^^SBX^MR\r").encode(), sent_at)


@pytest.fixture
def listener(request):
    fake = FakeListener(**getattr(request, "param", {}))
    fake.start()
    yield fake
    fake.stop()


def client(listener: FakeListener, options: ClientOptions = QUICK) -> MllpClient:
    return MllpClient("127.0.0.1", listener.port, options)


def test_each_message_waits_for_its_ack(listener):
    deliveries = client(listener).deliver([message("C1"), message("C2")])

    assert [(d.control_id, d.ack_code, d.attempts) for d in deliveries] == [("C1", "AA", 1), ("C2", "AA", 1)]
    assert [a.control_id for a in listener.arrivals] == ["C1", "C2"]
    assert len(listener.raw) == 1  # one connection for both


@pytest.mark.parametrize("listener", [{"drop_first": 1}], indirect=True)
def test_a_dropped_connection_resends_the_same_message(listener):
    [delivery] = client(listener).deliver([message("C1")])

    assert (delivery.ack_code, delivery.attempts) == ("AA", 2)
    assert [a.payload for a in listener.arrivals] == [message("C1").payload] * 2
    assert len(listener.raw) == 2


@pytest.mark.parametrize("listener", [{"not_stored_first": 2}], indirect=True)
def test_an_ae_207_not_stored_is_resent_like_a_missing_ack(listener):
    [delivery] = client(listener).deliver([message("C1")])

    assert (delivery.ack_code, delivery.attempts) == ("AA", 3)
    assert [a.control_id for a in listener.arrivals] == ["C1", "C1", "C1"]


@pytest.mark.parametrize("listener", [{"not_stored_first": 1}], indirect=True)
def test_an_ae_207_inside_a_burst_is_resent_alone(listener):
    deliveries = client(listener).deliver([message("C1"), message("C2")], faults=frozenset({wire.BURST}))

    assert [(d.control_id, d.ack_code, d.attempts) for d in deliveries] == [("C1", "AA", 2), ("C2", "AA", 1)]


@pytest.mark.parametrize("listener", [{"refused_first": 1}], indirect=True)
def test_an_ae_for_the_content_is_reported_and_not_resent(listener):
    [delivery] = client(listener).deliver([message("C1")])

    assert (delivery.ack_code, delivery.attempts) == ("AE", 1)
    assert len(listener.arrivals) == 1


@pytest.mark.parametrize("listener", [{"silent_first": 1}], indirect=True)
def test_a_missing_ack_resends_after_the_timeout(listener):
    started = time.monotonic()
    [delivery] = client(listener).deliver([message("C1")])

    assert (delivery.ack_code, delivery.attempts) == ("AA", 2)
    assert time.monotonic() - started >= QUICK.ack_timeout
    assert [a.control_id for a in listener.arrivals] == ["C1", "C1"]


@pytest.mark.parametrize("listener", [{"silent_first": 99}], indirect=True)
def test_it_gives_up_after_the_last_attempt(listener):
    [delivery] = client(listener).deliver([message("C1")])

    assert (delivery.ack_code, delivery.attempts, delivery.error) == ("", 3, "no_ack")


def test_an_unreachable_listener_is_reported_not_raised():
    listener = FakeListener()
    listener.start()
    port = listener.port
    listener.stop()  # nothing listens on the port any more

    [delivery] = MllpClient("127.0.0.1", port, QUICK).deliver([message("C1")])

    assert (delivery.ack_code, delivery.error, delivery.attempts) == ("", "unreachable", 3)


def test_drop_mid_frame_sends_part_of_a_frame_then_the_whole_message(listener):
    payload = message("C1").payload

    [delivery] = client(listener).deliver([message("C1")], faults=frozenset({wire.DROP_MID_FRAME}))

    assert (delivery.ack_code, delivery.attempts) == ("AA", 2)
    listener.wait_for(lambda: len(listener.raw) == 2)
    first, second = bytes(listener.raw[0]), bytes(listener.raw[1])
    assert first.startswith(START) and END not in first and payload.startswith(first[1:])
    assert second == START + payload + END
    assert [a.control_id for a in listener.arrivals] == ["C1"]


def test_garbage_comes_before_the_message_and_its_ack_is_not_taken_for_the_message(listener):
    [delivery] = client(listener).deliver([message("C1")], faults=frozenset({wire.GARBAGE}))

    assert delivery.ack_code == "AA"
    raw = bytes(listener.raw[0])
    assert raw.index(wire.NOT_HL7) < raw.index(b"MSH|")
    assert not raw.startswith(START)  # noise outside any frame first
    assert listener.acks == [("AR", ""), ("AA", "C1")]


def test_duplicate_sends_the_same_control_id_twice(listener):
    deliveries = client(listener).deliver([message("C1")], faults=frozenset({wire.DUPLICATE}))

    assert [(d.control_id, d.ack_code) for d in deliveries] == [("C1", "AA"), ("C1", "AA")]
    assert [a.payload for a in listener.arrivals] == [message("C1").payload] * 2


def test_out_of_order_sends_the_later_event_first_with_true_times(listener):
    discharge, cancel = message("C1", "A03", minutes=0), message("C2", "A13", minutes=1)

    client(listener).deliver([discharge, cancel], faults=frozenset({wire.OUT_OF_ORDER}))

    assert [(a.control_id, a.event) for a in listener.arrivals] == [("C2", "A13"), ("C1", "A03")]
    assert [a.payload for a in listener.arrivals] == [cancel.payload, discharge.payload]  # MSH-7 untouched


@pytest.mark.parametrize("listener", [{"hold_acks_until": 4}], indirect=True)
def test_burst_writes_every_frame_before_reading_an_ack(listener):
    # The listener answers nothing before the fourth frame: a client waiting for each ACK would time out.
    messages = [message(f"C{n}") for n in range(4)]

    deliveries = client(listener).deliver(messages, faults=frozenset({wire.BURST}))

    assert [(d.control_id, d.ack_code, d.attempts) for d in deliveries] == [
        (f"C{n}", "AA", 1) for n in range(4)
    ]
    assert len(listener.raw) == 1 and len(listener.arrivals) == 4


@pytest.mark.parametrize("listener", [{"hold_acks_until": 2}], indirect=True)
def test_without_burst_the_same_listener_gets_one_frame_at_a_time(listener):
    impatient = ClientOptions(ack_timeout=0.2, max_attempts=2, retry_pause=0.01)

    deliveries = client(listener, impatient).deliver([message("C0")])

    # The frame waits alone for its ACK, times out, is resent on a new connection and waits alone again.
    assert [(d.ack_code, d.attempts) for d in deliveries] == [("", 2)]


def test_slow_reader_writes_in_small_chunks_and_reads_the_ack_late(listener):
    payload = message("C1").payload
    started = time.monotonic()

    [delivery] = client(listener).deliver([message("C1")], faults=frozenset({wire.SLOW_READER}))

    assert delivery.ack_code == "AA"
    assert bytes(listener.raw[0]) == START + payload + END
    assert listener.reads[0] >= len(payload) // QUICK.chunk_size // 2  # many small writes arrived
    assert time.monotonic() - started >= QUICK.read_delay


def test_an_unknown_fault_is_refused(listener):
    with pytest.raises(ValueError):
        client(listener).deliver([message("C1")], faults=frozenset({"flood"}))
