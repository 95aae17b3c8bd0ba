"""The sync's Celery tasks: ids in, retries only for transient failures, Retry-After honoured, the fan-out."""

import pytest
from celery.app.task import Task
from celery.exceptions import Retry
from django.conf import settings
from django.db import OperationalError

from smartapp.celery import app as celery_app
from smartapp.ehr.errors import EhrBadResponse, EhrUnavailable
from smartapp.referrals import sync, tasks
from smartapp.referrals.sync import SyncReport


@pytest.fixture
def retries(monkeypatch):
    """The countdowns the tasks asked to be retried with (nothing is sent to a broker)."""
    asked = []

    def retry(self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, **options):
        asked.append(countdown)
        raise Retry(exc=exc, when=countdown)

    monkeypatch.setattr(Task, "retry", retry)
    return asked


def failing_with(error):
    def referral_sync(**kwargs):
        raise error

    return referral_sync


@pytest.mark.parametrize(("retry_after", "countdown"), [(30.0, 30.0), (3600.0, 900)])
def test_an_ehr_asking_to_wait_is_retried_after_its_retry_after_at_most_15_minutes(
    monkeypatch, retries, retry_after, countdown
):
    monkeypatch.setattr(sync, "referral_sync", failing_with(EhrUnavailable(retry_after=retry_after)))

    with pytest.raises(Retry):
        tasks.sync_connection.run("sandbox")

    assert retries == [countdown]


@pytest.mark.parametrize("error", [EhrUnavailable(), OperationalError("the database went away")])
def test_transient_failures_are_retried_with_jittered_backoff(monkeypatch, retries, error):
    monkeypatch.setattr(sync, "referral_sync", failing_with(error))

    with pytest.raises(Retry):
        tasks.sync_patient.run("sandbox", "pat-009")

    assert len(retries) == 1 and 0 <= retries[0] <= 1  # full jitter: uniform(0, 2**retries)


def test_a_permanent_failure_is_not_retried(monkeypatch, retries):
    monkeypatch.setattr(sync, "referral_sync", failing_with(EhrBadResponse()))

    with pytest.raises(EhrBadResponse):
        tasks.sync_connection.run("sandbox")

    assert retries == []


def test_a_patient_sync_waits_for_the_connections_running_sync(monkeypatch, retries):
    monkeypatch.setattr(sync, "referral_sync", lambda **kwargs: SyncReport("sandbox", busy=True))

    with pytest.raises(Retry):
        tasks.sync_patient.run("sandbox", "pat-009")
    assert retries == [tasks.BUSY_COUNTDOWN]

    tasks.sync_connection.run("sandbox")  # a connection's second run is simply a no-op
    assert retries == [tasks.BUSY_COUNTDOWN]


def test_the_sync_tasks_are_acknowledged_late_and_retry_a_bounded_number_of_times():
    for task in (tasks.sync_connection, tasks.sync_patient):
        assert task.acks_late and task.max_retries == 8 and task.retry_jitter
        assert set(task.autoretry_for) >= {EhrUnavailable, OperationalError}


@pytest.mark.django_db
def test_sync_all_fans_out_one_task_per_connection_that_can_sync(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda *args: sent.append(args))

    assert tasks.sync_all.run() == 1

    assert sent == [("sandbox",)]  # the only registration enabled here; it has a backend client


def test_beat_runs_the_sync_every_15_minutes_and_the_state_refresh_daily():
    celery_app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["referrals-sync-all"]["schedule"] == 900
    assert schedule["referrals-refresh-states"]["schedule"].hour == {5}
    for entry in ("referrals-sync-all", "referrals-refresh-states"):
        assert schedule[entry]["task"] in celery_app.tasks
