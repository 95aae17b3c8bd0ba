"""ADT listeners as processes on PostgreSQL (the second pass of bin/test): two listeners on one database
store a message sent to both once and both ACK it AA; a crash between the commit and the ACK loses and
duplicates nothing; the audit chain their batches write stays verifiable."""

import threading

import pytest
from django.db import connection

from smartapp.adt.models import InboundMessage
from smartapp.audit.models import AuditEvent
from smartapp.audit.verify import chain_verify
from tests.adt.crashing_listener import CRASH_STATUS
from tests.adt.listener_harness import ListenerProcess
from tests.adt.mllp_client import MllpClient, ack_fields, adt
from tests.core.sqlite_app import base_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_listener(tmp_path):
    db = connection.settings_dict
    env = {
        **base_env(tmp_path / "unused"),
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    started: list[ListenerProcess] = []

    def start(name: str, *, script: str = "manage.py") -> ListenerProcess:
        started.append(ListenerProcess(env, tmp_path / f"{name}.log", "--no-process", script=script))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def adt_audits() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="adt.received").order_by("seq").values_list("outcome", flat=True)
    )


def test_two_listeners_store_a_message_sent_to_both_once(start_listener):
    listeners = [start_listener("one"), start_listener("two")]
    acks: dict[int, list[bytes | None]] = {}

    def send(index: int) -> None:
        with MllpClient(listeners[index].address) as client:
            client.send(*(adt(f"C{n}") for n in range(50)))
            acks[index] = [client.receive() for _ in range(50)]

    threads = [threading.Thread(target=send, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert all(ack_fields(ack)["code"] == "AA" for index in (0, 1) for ack in acks[index])
    assert InboundMessage.objects.count() == 50
    assert sorted(adt_audits()) == ["accepted"] * 50 + ["duplicate"] * 50
    assert chain_verify(AuditEvent.objects.order_by("seq")).broken is None


def test_a_crash_between_commit_and_ack_loses_and_duplicates_nothing(start_listener):
    crashing = start_listener("crashing", script="tests/adt/crashing_listener.py")
    with MllpClient(crashing.address) as client:
        assert client.exchange(adt("C1")) is None
    assert crashing.process.wait(timeout=10) == CRASH_STATUS

    with MllpClient(start_listener("fresh").address) as client:
        assert ack_fields(client.exchange(adt("C1")))["code"] == "AA"

    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["C1"]
    assert adt_audits() == ["accepted", "duplicate"]


def test_a_value_too_long_for_its_column_is_refused_alone(start_listener):
    with MllpClient(start_listener("one").address) as client:
        too_long = ack_fields(client.exchange(adt("X" * 250)))
        after = ack_fields(client.exchange(adt("C2")))

    assert (too_long["code"], too_long["error"], after["code"]) == ("AR", "100", "AA")
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["C2"]
