"""Listeners as processes (`manage.py adt_listen`) on one SQLite file: a crash between the commit and the
ACK loses nothing and duplicates nothing; a restart carries on; two listeners store a message once."""

import sqlite3
import threading

import pytest

from tests.adt.crashing_listener import CRASH_STATUS
from tests.adt.listener_harness import ListenerProcess
from tests.adt.mllp_client import MllpClient, ack_fields, adt
from tests.core.sqlite_app import SqliteApp, migrated_sqlite_fixture  # noqa: F401 (the fixture)


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    app = SqliteApp(tmp_path, migrated_sqlite)
    started: list[ListenerProcess] = []

    def listener(name: str, *, script: str = "manage.py") -> ListenerProcess:
        started.append(ListenerProcess(app.env, tmp_path / f"{name}.log", "--no-process", script=script))
        return started[-1]

    app.listener = listener
    yield app
    for process in started:
        process.stop()


def rows(app, query: str) -> list[tuple]:
    with sqlite3.connect(app.database) as db:
        return db.execute(query).fetchall()


def stored(app) -> list[tuple]:
    return rows(app, "SELECT control_id, status FROM adt_inboundmessage ORDER BY id")


def audited(app) -> list[str]:
    return [
        r[0]
        for r in rows(app, "SELECT outcome FROM audit_auditevent WHERE action = 'adt.received' ORDER BY seq")
    ]


def test_a_crash_after_the_commit_and_before_the_ack_loses_and_duplicates_nothing(app):
    crashing = app.listener("crashing", script="tests/adt/crashing_listener.py")
    with MllpClient(crashing.address) as client:
        assert client.exchange(adt("C1")) is None  # the connection dropped without an ACK
    assert crashing.process.wait(timeout=10) == CRASH_STATUS

    fresh = app.listener("fresh")
    with MllpClient(fresh.address) as client:
        ack = client.exchange(adt("C1"))  # the engine resends what was never ACKed

    assert ack_fields(ack)["code"] == "AA"
    assert stored(app) == [("C1", "pending")]
    assert audited(app) == ["accepted", "duplicate"]


def test_a_restarted_listener_carries_on_where_the_last_one_stopped(app):
    first = app.listener("first")
    with MllpClient(first.address) as client:
        assert ack_fields(client.exchange(adt("C1")))["code"] == "AA"
    assert first.stop() == 0  # SIGTERM: a graceful stop

    second = app.listener("second")
    with MllpClient(second.address) as client:
        acks = [ack_fields(client.exchange(adt(control_id))) for control_id in ("C2", "C1")]

    assert [a["code"] for a in acks] == ["AA", "AA"]
    assert [r[0] for r in stored(app)] == ["C1", "C2"]
    assert audited(app) == ["accepted", "accepted", "duplicate"]


def test_two_listeners_on_one_database_store_a_message_once_and_both_ack_it(app):
    listeners = [app.listener("one"), app.listener("two")]
    acks: dict[int, bytes | None] = {}

    def send(index: int) -> None:
        with MllpClient(listeners[index].address) as client:
            acks[index] = client.exchange(adt("C1"))

    threads = [threading.Thread(target=send, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert [ack_fields(acks[index])["code"] for index in (0, 1)] == ["AA", "AA"]
    assert stored(app) == [("C1", "pending")]
    assert sorted(audited(app)) == ["accepted", "duplicate"]
    verified = app.manage("verify_audit")
    assert verified.returncode == 0, verified.stderr[-500:]
