"""The listener's transport: MLLP framing end to end, its limits (source allow-list, connections, idle),
and the benchmark-only ACK-before-store mode."""

import contextlib
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from smartapp.adt import writer as writer_module
from smartapp.adt.listener import AdtListener, ListenerOptions
from smartapp.adt.models import InboundMessage
from smartapp.adt.tls import ListenerRefused
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import END, START, MllpClient, ack_fields, adt

pytestmark = pytest.mark.django_db(transaction=True)


def stored_ids() -> list[str]:
    return list(InboundMessage.objects.order_by("pk").values_list("control_id", flat=True))


def test_a_frame_split_across_writes_is_read_whole():
    framed = START + adt("C1") + END
    with listening() as listener, MllpClient(listener.address) as client:
        for piece in (framed[:1], framed[1:30], framed[30:-1], framed[-1:]):
            client.send_bytes(piece)
            time.sleep(0.01)  # separate TCP segments, as an engine's slow link delivers them
        ack = client.receive()

    assert ack_fields(ack)["code"] == "AA"
    assert bytes(InboundMessage.objects.get().raw) == adt("C1")


def test_several_messages_in_one_write_are_acked_in_order():
    with listening() as listener, MllpClient(listener.address) as client:
        client.send(adt("C1"), adt("C2", event="A02"), adt("C3"), adt("C1"))
        acks = [ack_fields(client.receive()) for _ in range(4)]

    assert [(a["acknowledges"], a["code"]) for a in acks] == [
        ("C1", "AA"),
        ("C2", "AR"),
        ("C3", "AA"),
        ("C1", "AA"),
    ]
    assert stored_ids() == ["C1", "C3"]


def test_a_one_megabyte_message_is_stored_intact():
    message = adt("BIG", padding=1_000_000)
    with listening() as listener, MllpClient(listener.address) as client:
        ack = client.exchange(message)

    assert ack_fields(ack)["code"] == "AA"
    assert bytes(InboundMessage.objects.get(control_id="BIG").raw) == message


def test_a_frame_without_its_end_block_is_dropped_and_the_next_start_recovers():
    with listening() as listener, MllpClient(listener.address) as client:
        client.send_bytes(START + adt("LOST")[:60])
        ack = client.exchange(adt("C2"))

    assert (ack_fields(ack)["acknowledges"], ack_fields(ack)["code"]) == ("C2", "AA")
    assert stored_ids() == ["C2"]


def test_garbage_between_frames_is_skipped():
    with listening() as listener, MllpClient(listener.address) as client:
        client.send_bytes(b"GET / HTTP/1.1\r\n\r\n" + START + adt("C1") + END)
        ack = client.receive()

    assert ack_fields(ack)["acknowledges"] == "C1"


def test_a_source_outside_the_allow_list_is_closed_and_nothing_stored(settings):
    settings.ADT_ALLOWED_SOURCES = ["127.0.0.2/32"]
    with listening() as listener, MllpClient(listener.address) as client:
        with contextlib.suppress(ConnectionError):  # closed before the write finished: refused the same
            client.send(adt("C1"))
        assert client.closed_by_peer()

    assert not InboundMessage.objects.exists()


def test_an_idle_connection_is_closed(settings):
    settings.ADT_IDLE_SECONDS = 0.3
    with listening() as listener, MllpClient(listener.address, timeout=5) as client:
        assert client.exchange(adt("C1"))  # activity, then silence
        started = time.monotonic()
        assert client.closed_by_peer()

    assert 0.2 < time.monotonic() - started < 3


def test_connections_past_the_limit_are_closed(settings):
    settings.ADT_MAX_CONNECTIONS = 1
    with listening() as listener, MllpClient(listener.address) as first:
        assert first.exchange(adt("C1"))  # the first connection is being served
        with MllpClient(listener.address) as second:
            assert second.closed_by_peer()
        assert ack_fields(first.exchange(adt("C2")))["code"] == "AA"


def test_ack_before_store_answers_first_and_still_stores(monkeypatch):
    real_store, release, stored = writer_module.inbox_store, threading.Event(), threading.Event()

    def store_held_back(items, *, listener):
        release.wait(10)
        try:
            return real_store(items, listener=listener)
        finally:
            stored.set()

    monkeypatch.setattr(writer_module, "inbox_store", store_held_back)
    with listening(ack_before_store=True) as listener, MllpClient(listener.address) as client:
        ack = client.exchange(adt("C1"))  # answered while the store is still held back
        release.set()
        assert stored.wait(10)

    assert ack_fields(ack)["code"] == "AA"
    assert stored_ids() == ["C1"]


def test_ack_before_store_is_refused_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(ListenerRefused, match="refused in production"):
        AdtListener(ListenerOptions(ack_before_store=True))


def test_the_command_refuses_plain_tcp_in_production(settings):
    settings.PRODUCTION, settings.ADT_PLAINTEXT_ALLOWED = True, False

    with pytest.raises(CommandError, match="without TLS in production"):
        call_command("adt_listen", "--port", "0")
