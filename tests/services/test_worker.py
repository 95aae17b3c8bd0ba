"""A real Celery worker process, on Redis and on the embedded filesystem broker, against PostgreSQL.

Runs in the second pass of bin/test (DATABASE_URL=PostgreSQL, CELERY_BROKER_URL=Redis).
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from kombu import Connection

from smartapp.celery import app as celery_app
from smartapp.sandbox.models import LaunchContext
from tests.services.brokers import filesystem_broker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(params=["redis", "filesystem"])
def broker(request, tmp_path):
    """(broker URL, transport options, extra worker env) for each broker the app supports."""
    if request.param == "redis":
        return settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS, {}
    return filesystem_broker(tmp_path)


@pytest.fixture
def worker(broker):
    url, _, extra_env = broker
    env = {
        **os.environ,
        **extra_env,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": url,
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "smartapp", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=1)  # the test is over: no need to sit through a warm shutdown of seconds
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_a_worker_process_runs_the_sandbox_purge_from_the_broker(broker, worker):
    user = get_user_model().objects.create(username="sandbox-worker-test")
    stale = LaunchContext.objects.create(launch="stale", user=user, app_url="http://127.0.0.1:9/launch/")
    LaunchContext.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh = LaunchContext.objects.create(launch="fresh", user=user, app_url="http://127.0.0.1:9/launch/")

    url, options, _ = broker
    with Connection(url, transport_options=options) as conn:
        celery_app.send_task("smartapp.sandbox.tasks.purge_expired", connection=conn)

    assert _wait_for(lambda: not LaunchContext.objects.filter(pk=stale.pk).exists()), (
        worker.poll(),
        worker.stderr.read() if worker.poll() is not None else "worker still running",
    )
    assert LaunchContext.objects.filter(pk=fresh.pk).exists()
