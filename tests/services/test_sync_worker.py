"""The referral sync in real Celery worker processes against PostgreSQL, on Redis and on the filesystem
broker, reading the sandbox EHR on the live server over HTTP.

- every connection is fanned out and synced; a duplicate delivery changes nothing;
- a worker killed (SIGKILL) mid-sync: Redis redelivers the unacknowledged task and the sync resumes at the
  stored next page;
- the database going away mid-sync (the worker's PostgreSQL session terminated after a page was stored):
  the task is retried, takes its own claim back and resumes, nothing lost or doubled;
- two runs of one connection at once: one stores, the other is a no-op;
- the "track follow-up" button while the broker is down: a clear message, no 500.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from kombu import Connection

from smartapp.audit.models import AuditEvent
from smartapp.celery import app as celery_app
from smartapp.referrals.models import SyncClaim
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from smartapp.sandbox import faults
from tests.referrals.sync_support import (
    BACKEND,
    EXPECTED,
    PAGE_SIZE,
    duplicates,
    ehr_fixture,  # noqa: F401 (the `ehr` fixture)
    seeded_count,
    seeded_states,
    watermarks,
)
from tests.services.brokers import filesystem_broker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
WORKER_DB_NAME = "smartapp-sync-worker"  # the worker's PostgreSQL application_name


@pytest.fixture(params=["redis", "filesystem"])
def broker(request, tmp_path):
    """(broker URL, transport options, extra worker env) for each broker the app supports."""
    if request.param == "redis":
        url = settings.CELERY_BROKER_URL
        with Connection(url) as conn:  # what an earlier, killed run left behind would be delivered here
            conn.default_channel.queue_purge("celery")
            conn.default_channel.client.delete("unacked", "unacked_index")
        return url, settings.CELERY_BROKER_TRANSPORT_OPTIONS, {}
    return filesystem_broker(tmp_path)


@pytest.fixture
def workers(broker, live_server):
    """start() -> a worker process on `broker` reading the live server's sandbox; all stopped at the end."""
    started = []

    def start(**env) -> subprocess.Popen:
        url, _, extra_env = broker
        db = connection.settings_dict
        environment = {
            **os.environ,
            **extra_env,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            f"?application_name={WORKER_DB_NAME}",
            "CELERY_BROKER_URL": url,
            "DJANGO_SETTINGS_MODULE": "smartapp.settings",
            "APP_ORIGIN": live_server.url,
            "REFERRAL_SYNC_PAGE_SIZE": str(PAGE_SIZE),
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "smartapp", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:  # the work was checked: no need to wait for a warm (or slow cold) shutdown
        process.kill()
        process.wait()


def send(broker, task: str, *args) -> None:
    url, options, _ = broker
    with Connection(url, transport_options=options) as conn:
        celery_app.send_task(task, args=list(args), connection=conn)


def runs(outcome: str = "complete") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="referrals.sync", outcome=outcome).order_by("seq"))


def wait_for(condition, worker, seconds: float = 45.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker.stderr.read()[-2000:]}")
        time.sleep(0.1)
    pytest.fail("timed out waiting for the worker")


def notes_walk_started() -> bool:
    return bool(watermarks().get("DocumentReference", (None, "", None))[1])  # its next page is stored


def full_run_requests() -> int:
    """A first full run's requests: one page for each type but the notes, which take several."""
    return len(SYNC_TYPES) - 1 + -(-seeded_count("DocumentReference") // PAGE_SIZE)


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_a_worker_syncs_each_connection_and_a_duplicate_delivery_changes_nothing(ehr, broker, workers):
    worker = workers()
    send(broker, "smartapp.referrals.tasks.sync_all")  # fans out one sync_connection per connection
    send(broker, "smartapp.referrals.tasks.sync_connection", "sandbox")  # the same work delivered twice

    wait_for(lambda: len(runs()) == 2, worker)

    assert seeded_states() == EXPECTED
    assert duplicates() == []
    first, second = runs()
    assert second.detail["requests"] == len(SYNC_TYPES)  # the second run: the watermark queries only
    assert (second.detail["created"], second.detail["updated"]) == (0, 0)


@pytest.mark.parametrize("broker", ["redis"], indirect=True)  # the filesystem transport has no redelivery
def test_a_worker_killed_mid_sync_is_redelivered_and_the_sync_resumes(ehr, broker, workers):
    faults.switch_on(faults.LATENCY_MS, "150", client_id=BACKEND)  # time to kill the worker mid-walk
    visibility = 1
    worker = workers(CELERY_VISIBILITY_TIMEOUT=str(visibility), REFERRAL_SYNC_LEASE_SECONDS="1")
    send(broker, "smartapp.referrals.tasks.sync_connection", "sandbox")
    wait_for(notes_walk_started, worker)

    worker.send_signal(signal.SIGKILL)
    worker.wait()
    faults.switch_off(faults.LATENCY_MS)
    time.sleep(visibility + 0.5)  # the new worker restores what is unacknowledged for this long
    second = workers(CELERY_VISIBILITY_TIMEOUT=str(visibility), REFERRAL_SYNC_LEASE_SECONDS="1")

    wait_for(lambda: runs(), second)

    assert seeded_states() == EXPECTED
    assert duplicates() == []
    assert runs()[0].detail["requests"] < full_run_requests()  # resumed at the stored next page
    assert runs("failed") == []  # the killed run never finished: nothing recorded it


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_the_database_going_away_mid_sync_loses_nothing(ehr, broker, workers):
    faults.switch_on(faults.LATENCY_MS, "150", client_id=BACKEND)
    worker = workers()
    send(broker, "smartapp.referrals.tasks.sync_connection", "sandbox")
    wait_for(notes_walk_started, worker)

    with connection.cursor() as cursor:  # the worker's session ends as in a PostgreSQL restart
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [WORKER_DB_NAME],
        )
        terminated = [row[0] for row in cursor.fetchall()]
    faults.switch_off(faults.LATENCY_MS)

    wait_for(lambda: runs(), worker)

    assert terminated == [True]
    assert seeded_states() == EXPECTED
    assert duplicates() == []
    assert runs()[0].detail["requests"] < full_run_requests()  # the retry resumed at the stored next page
    assert SyncClaim.objects.get().holder == ""  # the retry took its own claim back and released it
    assert [e.detail["error_class"] for e in runs("failed")] in ([], ["OperationalError"])


def test_two_runs_of_one_connection_at_once_store_once(ehr):
    faults.switch_on(faults.LATENCY_MS, "50", client_id=BACKEND)  # both runs overlap for certain
    start, reports, errors = threading.Barrier(2), [], []

    def run():
        try:
            start.wait()
            reports.append(referral_sync(connection="sandbox"))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(report.busy for report in reports) == [False, True]
    assert seeded_states() == EXPECTED
    assert duplicates() == []
