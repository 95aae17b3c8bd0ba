"""The broker going away mid-sync: a private redis-server (never the shared one) that keeps nothing on disk,
so a restart loses every message, the one being worked on included. Real Celery worker processes against
PostgreSQL read the sandbox EHR on the live server over HTTP (the helpers of test_sync_worker.py).

- the broker killed while a worker syncs: the sync under way needs no broker and completes; the worker
  goes on with the restarted broker, or exits once and is restarted as its supervisor would (kombu 5.7.0,
  an outage of a few seconds: the channel whose BRPOP was pending is closed a second time through a
  detached transport, AttributeError, "Unrecoverable error"); the next scheduled run makes only the
  watermark queries;
- the broker and the worker lost together mid-sync (a host going down): nothing is redelivered, the pages
  stored stay, the unfinished walk's watermark has not moved, and the next scheduled run resumes at the
  stored page and catches up;
- either way the rows are those of one clean full sync, none twice;
- "track follow-up" with the broker killed or hung: within seconds the chart says the request is queued
  (audited, no 500); once the broker is back, the relay publishes it once and a worker syncs it once.
"""

import signal
import socket
import subprocess
import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connections
from django.utils import timezone

from smartapp.celery import app as celery_app
from smartapp.referrals import track_views
from smartapp.referrals.models import SyncClaim, SyncRequest, SyncWatermark
from smartapp.referrals.outbox import outbox_relay
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from smartapp.sandbox import faults
from tests.referrals.sync_support import (
    BACKEND,
    EXPECTED,
    duplicates,
    ehr_fixture,  # noqa: F401 (the `ehr` fixture)
    newest_seeded,
    seeded_states,
    stored,
    watermarks,
)
from tests.referrals.test_sync_track import PATIENT, audited, said, sign_in, track
from tests.services import test_sync_worker
from tests.services.test_sync_worker import (
    full_run_requests,
    notes_walk_started,
    runs,
    send,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
SYNC_CONNECTION = "smartapp.referrals.tasks.sync_connection"
workers = test_sync_worker.workers  # the fixture, on the `broker` below
OUTAGE_SECONDS = 2  # how long the broker stays down: the worker tries to reconnect meanwhile
KOMBU_CLOSE_RACE = "Unrecoverable error: AttributeError(\"'NoneType' object has no attribute 'hostname'\")"


class RedisServer:
    """redis-server on a free loopback port, in a folder of its own, with no persistence."""

    def __init__(self, folder):
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        with open(self.folder / "redis.log", "a") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder)],
                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        poll(self._answers, "redis-server to start", seconds=10)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited: {(self.folder / 'redis.log').read_text()[-1000:]}")
        try:
            with self.client() as client:
                return client.ping()
        except redis.ConnectionError:
            return False

    def keeps_no_message(self) -> bool:
        with self.client() as client:
            return client.llen("celery") == 0 and client.hlen("unacked") == 0

    def consumer_count(self) -> int:
        with self.client() as client:
            return sum(1 for entry in client.client_list() if entry.get("cmd") == "brpop")


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)  # a test may have left it stopped
        server.kill()


@pytest.fixture
def broker(private_redis):
    """The `workers` fixture's broker (test_sync_worker.py): the private redis-server."""
    return private_redis.url, settings.CELERY_BROKER_TRANSPORT_OPTIONS, {}


def poll(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def consuming_again(worker, broker_server):
    """The worker once it consumes from the restarted broker. It must not exit: kombu 5.7.0's close race
    (KOMBU_CLOSE_RACE) killed it here before smartapp.core.broker_fixes."""
    poll(lambda: worker.poll() is not None or broker_server.consumer_count(), "the worker to reconnect")
    assert worker.poll() is None, worker.stderr.read()[-2000:]
    return worker


def a_full_sync_changes_nothing() -> bool:
    """Read the whole EHR again from no watermark: the rows stored are those of one clean full sync."""
    before = stored()
    SyncWatermark.objects.all().delete()
    report = referral_sync(connection="sandbox")
    return (report.total("created"), report.total("updated"), stored()) == (0, 0, before)


def caught_up() -> bool:
    marks = watermarks()
    return all(marks[kind] == (newest_seeded(kind), "", None) for kind in SYNC_TYPES)


def test_the_broker_killed_mid_sync_the_sync_completes_and_the_next_run_has_nothing_to_do(
    ehr, broker, workers, private_redis
):
    faults.switch_on(faults.LATENCY_MS, "150", client_id=BACKEND)
    worker = workers()
    send(broker, SYNC_CONNECTION, "sandbox")
    wait_for(notes_walk_started, worker)

    private_redis.kill()  # the message being worked on goes with it
    poll(runs, "the sync under way to finish")  # the worker may exit once it has: not checked here
    time.sleep(OUTAGE_SECONDS)
    private_redis.start()  # on the same port, empty
    faults.switch_off(faults.LATENCY_MS)
    assert private_redis.keeps_no_message()
    worker = consuming_again(worker, private_redis)
    send(broker, SYNC_CONNECTION, "sandbox")  # the next run, as beat sends it every 15 minutes

    wait_for(lambda: len(runs()) == 2, worker)

    first, second = runs()
    assert first.detail["requests"] == full_run_requests()  # the sync under way read every page
    assert second.detail["requests"] == len(SYNC_TYPES)  # the next run: the watermark queries only
    assert (second.detail["created"], second.detail["updated"]) == (0, 0)
    assert runs("failed") == []
    assert caught_up()
    assert seeded_states() == EXPECTED
    assert duplicates() == []
    assert a_full_sync_changes_nothing()


def test_the_broker_and_the_worker_lost_mid_sync_the_next_run_resumes_and_catches_up(
    ehr, broker, workers, private_redis
):
    faults.switch_on(faults.LATENCY_MS, "150", client_id=BACKEND)
    lease = {"REFERRAL_SYNC_LEASE_SECONDS": "1"}  # 300 s in production: lapsed by the next run
    worker = workers(**lease)
    send(broker, SYNC_CONNECTION, "sandbox")
    wait_for(notes_walk_started, worker)

    private_redis.kill()  # a host going down with both
    worker.kill()
    worker.wait()
    faults.switch_off(faults.LATENCY_MS)
    committed, marks = stored(), watermarks()
    private_redis.start()
    assert private_redis.keeps_no_message()  # nothing will be redelivered
    second = workers(**lease)
    poll(lambda: not SyncClaim.objects.filter(claimed_until__gte=timezone.now()).exists(), "the lease")
    send(broker, SYNC_CONNECTION, "sandbox")  # the next run, as beat sends it every 15 minutes

    wait_for(runs, second)

    assert runs("failed") == []  # the lost run never finished: nothing recorded it
    # The walks finished before the loss earned their watermarks; the notes' search is not sorted by
    # _lastUpdated, so its watermark waits for the walk's end: it had not moved, its next page was kept.
    assert {kind: marks[kind] for kind in SYNC_TYPES[:-1]} == {
        kind: (newest_seeded(kind), "", None) for kind in SYNC_TYPES[:-1]
    }
    assert marks["DocumentReference"][0] is None and marks["DocumentReference"][1]
    assert runs()[0].detail["requests"] < full_run_requests()  # the next run resumed at that page
    referrals, evidence = stored()
    kept = {row[:3] for row in referrals}, set(evidence)  # natural key and version (states may move on)
    assert {row[:3] for row in committed[0]} <= kept[0] and set(committed[1]) <= kept[1]
    assert len(evidence) > len(committed[1])  # the notes the lost run had yet to read
    assert caught_up()
    assert seeded_states() == EXPECTED
    assert duplicates() == []
    assert a_full_sync_changes_nothing()


@pytest.fixture
def app_broker(private_redis, monkeypatch):
    """This process's Celery app (the web app's) publishing to the private redis-server."""
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)  # Celery reads it before its settings
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    yield private_redis
    private_redis.process.send_signal(signal.SIGCONT)
    celery_app.pool.force_close_all()
    celery_app.amqp.producer_pool.force_close_all()


def timed(call, limit: float):
    """call() in a thread: (its result, seconds taken), or a failure after `limit` seconds rather than a
    hung test run (the thread finishes once the broker is resumed)."""
    outcome = []

    def run():
        started = time.monotonic()
        try:
            outcome.append(call())
        except BaseException as error:  # reported below
            outcome.append(error)
        finally:
            outcome.append(time.monotonic() - started)
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(f"no answer within {limit} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0], outcome[1]


@pytest.mark.parametrize("outage", ["killed", "hung"])
def test_track_follow_up_with_the_broker_down_is_queued_and_runs_once_the_broker_is_back(
    ehr, client, app_broker, broker, workers, outage
):
    launch = sign_in(client)
    assert track(client, launch).status_code == 302
    with app_broker.client() as broker_client:
        assert broker_client.llen("celery") == 1  # queued on the running broker, over a pooled connection
    client.cookies.pop("messages", None)  # that answer's message, shown on the chart

    if outage == "killed":
        app_broker.kill()  # the first request's message goes with it (its row waits to be sent again)
    else:
        app_broker.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
    response, took = timed(lambda: track(client, launch), limit=30)

    assert response.status_code == 302 and response["Location"] == f"/chart/{launch.pk}/"
    assert said(response) == [track_views.QUEUED]
    assert audited() == [("requested", PATIENT), ("requested", PATIENT), ("broker_unavailable", PATIENT)]
    assert took < 15, took  # the publish's retries and Redis' socket timeout (settings.py), not forever
    queued = SyncRequest.objects.get(sent_at=None)

    if outage == "killed":
        app_broker.start()
    else:
        app_broker.process.send_signal(signal.SIGCONT)
    worker = workers()
    assert outbox_relay() == 1  # as beat's relay does every minute
    wait_for(lambda: SyncRequest.objects.filter(pk=queued.pk, finished_at__isnull=False).exists(), worker)
    assert outbox_relay() == 0  # a second relay: nothing left to send
    finished = SyncRequest.objects.filter(finished_at__isnull=False).count()
    wait_for(lambda: len(runs()) == finished, worker)
    time.sleep(1)  # nothing else arrives

    assert finished == (1 if outage == "killed" else 2)  # a hung broker kept the first message
    assert [run.patient_ref for run in runs()] == [f"Patient/{PATIENT}"] * finished
    assert runs("failed") == []
