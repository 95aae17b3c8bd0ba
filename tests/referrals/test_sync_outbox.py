"""The "track follow-up" outbox: a request the broker could not take waits as a row and is published by
the relay once the broker is back; it is published once and its sync runs once, however many relays or
deliveries there are."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from smartapp.referrals import outbox, tasks, track_views
from smartapp.referrals.credentials import SyncNotPossible
from smartapp.referrals.models import SyncRequest
from smartapp.referrals.sync import SyncReport
from tests.referrals.test_sync_track import PATIENT, audited, broker_down, said, sign_in, track

pytestmark = pytest.mark.django_db(transaction=True)
RELAY = "smartapp.referrals.tasks.relay_sync_requests"


@pytest.fixture
def published(monkeypatch):
    """The task ids the outbox published (the broker is up again)."""
    ids = []
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: ids.append(task_id))
    return ids


@pytest.fixture
def syncs(monkeypatch):
    """The (connection, patient, run id) of every sync the outbox's task ran (no EHR is read)."""
    runs = []

    def sync(*, connection, patient, run_id):
        runs.append((connection, patient, run_id))
        return SyncReport(connection=connection, one_patient=True)

    monkeypatch.setattr(outbox, "referral_sync", sync)
    return runs


@pytest.fixture
def queued(client, monkeypatch):
    """A track request made while the broker was down: its outbox row."""
    broker_down(monkeypatch)
    response = track(client, sign_in(client))
    assert said(response) == [track_views.QUEUED]
    monkeypatch.undo()
    return SyncRequest.objects.get()


def deliver(task_id: str, request_id: int):
    return tasks.sync_request.apply(args=[request_id], task_id=task_id)


def test_the_relay_publishes_a_queued_request_once_the_broker_is_back_and_its_sync_runs_once(
    queued, published, syncs
):
    assert tasks.relay_sync_requests.apply().get() == 1
    assert published == [f"sync-request-{queued.pk}-1"]

    assert deliver(published[0], queued.pk).successful()

    assert syncs == [("sandbox", PATIENT, f"syncrequest{queued.pk}1")]
    row = SyncRequest.objects.get()
    assert row.sent_at and row.finished_at and row.attempts == 1


def test_relays_again_publish_nothing_more(queued, published, syncs):
    for _ in range(3):
        outbox.outbox_relay()
    assert published == [f"sync-request-{queued.pk}-1"]


def test_a_duplicate_delivery_does_not_sync_again(queued, published, syncs):
    outbox.outbox_relay()
    deliver(published[0], queued.pk)

    assert deliver(published[0], queued.pk).successful()  # the same message again (acks_late)
    assert len(syncs) == 1


def test_the_relay_while_the_broker_is_still_down_keeps_the_row_pending(queued, monkeypatch):
    broker_down(monkeypatch)
    assert outbox.outbox_relay() == 0
    row = SyncRequest.objects.get()
    assert (row.sent_at, row.attempts, row.finished_at) == (None, 0, None)


def test_a_request_sent_at_once_is_not_relayed(client, published):
    track(client, sign_in(client))
    assert outbox.outbox_relay() == 0
    assert len(published) == 1
    assert audited() == [("requested", PATIENT)]


def test_a_message_lost_with_its_broker_is_sent_again_a_few_times_then_given_up(queued, published):
    for _ in range(outbox.MAX_ATTEMPTS + 1):
        outbox.outbox_relay()
        SyncRequest.objects.update(sent_at=timezone.now() - outbox.RESEND_AFTER - timedelta(seconds=1))
    assert published == [f"sync-request-{queued.pk}-{n}" for n in range(1, outbox.MAX_ATTEMPTS + 1)]


def test_a_sync_that_can_never_run_finishes_the_row(queued, published, monkeypatch):
    def impossible(**kwargs):
        raise SyncNotPossible("no credentials")

    monkeypatch.setattr(outbox, "referral_sync", impossible)
    outbox.outbox_relay()

    assert not deliver(published[0], queued.pk).successful()
    assert SyncRequest.objects.get().finished_at is not None
    SyncRequest.objects.update(sent_at=timezone.now() - outbox.RESEND_AFTER - timedelta(seconds=1))
    assert outbox.outbox_relay() == 0


def test_a_busy_connection_is_waited_for_then_synced_once(queued, published, monkeypatch):
    reports = [SyncReport(connection="sandbox", one_patient=True, busy=busy) for busy in (True, False)]
    monkeypatch.setattr(outbox, "referral_sync", lambda **kwargs: reports.pop(0))
    outbox.outbox_relay()

    assert deliver(published[0], queued.pk).successful()  # eager: the retry runs at once
    assert reports == [] and SyncRequest.objects.get().finished_at is not None


def test_beat_runs_the_relay_every_minute():
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == RELAY]
    assert len(entries) == 1 and entries[0]["schedule"] <= 60


def test_the_broker_error_never_reaches_the_chart(client, monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 10.0.0.7:6379 as user secret")

    monkeypatch.setattr(tasks.sync_request, "apply_async", refused)
    response = track(client, sign_in(client))
    assert said(response) == [track_views.QUEUED]
