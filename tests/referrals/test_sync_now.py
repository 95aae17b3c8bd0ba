"""Sync now on the worklist: coordinators of the connection only, CSRF, audited, at most once per window
(concurrent clicks enqueue one task), a broker outage loses nothing; the status endpoint the page polls;
and the sync a worker runs as it starts."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from smartapp.audit.models import AuditEvent
from smartapp.celery import _sync_on_start
from smartapp.launch.session_policy import LAST_SEEN_AT
from smartapp.referrals import freshness_views, outbox, sync_now, tasks
from smartapp.referrals.models import SyncClaim, SyncRequest
from smartapp.referrals.sync import SyncReport

from . import dashboard

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit and publishing after it, as in production
URL = "/referrals/sync-now/sandbox/"
STATUS = "/referrals/sync-status/"


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


def broker_down(monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_request, "apply_async", refused)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def audited(action: str = "referrals.sync_requested") -> list[tuple[str, dict]]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values_list("outcome", "detail"))


def outcomes() -> list[str]:
    return [outcome for outcome, _ in audited()]


def test_sync_now_queues_a_sync_of_the_whole_connection_and_returns_to_the_worklist(
    client, coordinator, published
):
    response = client.post(URL)

    assert response.status_code == 303 and response["Location"] == "/referrals/"
    assert "no-store" in response["Cache-Control"]
    assert published == [("sandbox", "")]  # "" : every patient of the connection
    assert said(response) == [
        "A sync of Sandbox EHR (synthetic patients) has been requested. Its progress shows below."
    ]
    assert audited() == [("requested", {"connection": "sandbox"})]
    assert SyncClaim.objects.get(connection="sandbox").requested_at is not None
    page = client.get("/referrals/").content.decode()
    assert "has been requested" in page  # the flash message, once
    assert "Sync requested: waiting for it to start" in page and 'data-waiting="true"' in page


def test_the_queued_request_runs_a_sync_of_the_connection(client, coordinator, monkeypatch):
    ids, runs = [], []
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: ids.append((args, task_id)))
    monkeypatch.setattr(
        outbox, "referral_sync", lambda **kwargs: runs.append(kwargs) or SyncReport(connection="sandbox")
    )
    client.post(URL)

    ((args, task_id),) = ids
    assert tasks.sync_request.apply(args=args, task_id=task_id).successful()

    assert [(run["connection"], run["patient"]) for run in runs] == [("sandbox", "")]
    assert SyncRequest.objects.get().finished_at is not None


def test_a_second_click_within_the_window_is_rate_limited_and_enqueues_nothing(
    client, coordinator, published
):
    client.post(URL)
    response = client.post(URL)

    assert response.status_code == 303
    assert published == [("sandbox", "")]
    assert outcomes() == ["requested", "rate_limited"]
    assert said(response)[-1] == (  # after the first click's message, not yet shown
        "A sync of Sandbox EHR (synthetic patients) was requested less than 2 min ago: it is on its way."
    )
    SyncClaim.objects.update(requested_at=timezone.now() - sync_now.min_interval() - timedelta(seconds=1))
    client.post(URL)
    assert len(published) == 2 and outcomes()[-1] == "requested"


def test_of_two_requests_at_the_same_moment_one_goes_through(coordinator, published):
    now, made = timezone.now(), []
    for _ in range(2):
        sync_now.sync_now_request(connection="sandbox", audit=made.append, now=now)
    assert made == ["requested", "rate_limited"]
    assert published == [("sandbox", "")]


def test_a_broker_that_is_down_keeps_the_request_says_so_and_the_relay_sends_it_later(
    client, coordinator, monkeypatch
):
    broker_down(monkeypatch)

    response = client.post(URL)

    assert response.status_code == 303
    assert said(response) == [
        "The job queue is not answering. The sync of Sandbox EHR (synthetic patients) is queued and will "
        "start when it is back."
    ]
    assert outcomes() == ["requested", "broker_unavailable"]
    row = SyncRequest.objects.get()
    assert (row.connection, row.patient_id, row.sent_at, row.finished_at) == ("sandbox", "", None, None)

    monkeypatch.undo()
    sent = []
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: sent.append(args))
    assert outbox.outbox_relay() == 1 and sent == [[row.pk]]


def test_a_connection_that_cannot_sync_says_so_and_enqueues_nothing(client, published):
    dashboard.signed_in(client, connection="retired")  # no enabled registration of that name

    response = client.post("/referrals/sync-now/retired/")

    assert response.status_code == 303 and published == []
    assert outcomes() == ["not_set_up"]
    assert said(response) == [
        "retired cannot be synced now: the app has no working credentials for it. Ask an administrator."
    ]


def test_another_connection_is_refused_and_audited(client, coordinator, published):
    response = client.post("/referrals/sync-now/epic/")

    assert response.status_code == 403 and published == []
    assert audited() == []
    denied = AuditEvent.objects.get(action="access.denied", outcome="connection_not_found")
    assert denied.detail == {"connection": "(unknown)"}  # not an enabled registration: no name kept
    assert denied.launch_id == str(coordinator.pk)


@pytest.mark.parametrize("persona", ["clinician", "patient"])
def test_only_coordinators_may_sync_now_or_read_the_status(client, published, persona):
    dashboard.signed_in(client, persona=persona, patient_id="p-1")

    assert client.post(URL).status_code == 403
    assert client.get(STATUS).status_code == 403
    assert published == [] and audited() == []


def test_a_post_without_the_csrf_token_is_refused(published):
    browser = Client(enforce_csrf_checks=True)
    dashboard.signed_in(browser)

    assert browser.post(URL).status_code == 403
    assert browser.get(URL).status_code == 405
    assert published == [] and audited() == []


# --- the status endpoint --------------------------------------------------------------------------------


def test_the_status_gives_counts_and_times_of_the_coordinators_connections_only(client, coordinator):
    dashboard.referral(patient_display="Ada Testpatient")
    now = timezone.now()
    SyncClaim.objects.create(
        connection="sandbox",
        holder="run",
        claimed_until=now + timedelta(minutes=5),
        started_at=now,
        progress_pages=7,
        progress_type="Appointment",
        finished_at=now - timedelta(minutes=40),
    )
    SyncClaim.objects.create(connection="epic", finished_at=now)

    response = client.get(STATUS)

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"
    (row,) = response.json()["connections"]
    assert row == {
        "connection": "sandbox",
        "syncing": True,
        "waiting": False,
        "pages": 7,
        "resource_type": "Appointment",
        "progress": "Syncing now: 7 pages read",
        "stale": True,
        "started_at": now.isoformat(),
        "finished_at": (now - timedelta(minutes=40)).isoformat(),
        "failed_at": "",
    }
    assert "Testpatient" not in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="referrals.").exclude(action="referrals.worklist")


def test_the_page_and_the_status_agree_on_the_last_sync_so_the_script_reloads_only_on_a_change(
    client, coordinator
):
    SyncClaim.objects.create(connection="sandbox", finished_at=timezone.now() - timedelta(minutes=3))
    page = client.get("/referrals/").content.decode()
    finished = client.get(STATUS).json()["connections"][0]["finished_at"]
    assert f'data-finished-at="{finished}"' in page and 'data-failed-at=""' in page


def test_polling_the_status_does_not_keep_an_idle_session_alive(client, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        dashboard.signed_in(client)
        seen = client.session[LAST_SEEN_AT]
        for _ in range(4):
            clock.shift(timedelta(minutes=3))
            assert client.get(STATUS).status_code == 200
        assert client.session[LAST_SEEN_AT] == seen
        clock.shift(timedelta(minutes=3, seconds=1))  # 15 min after the last real request
        assert client.get(STATUS).status_code == 401
    assert AuditEvent.objects.filter(action="session.expired", outcome="idle").exists()


def test_the_status_endpoint_is_marked_as_polling():
    assert freshness_views.sync_status.counts_as_activity is False


# --- a worker that starts ---------------------------------------------------------------------------------


@pytest.fixture
def fan_outs(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.sync_due, "apply_async", lambda **options: sent.append(options))
    return sent


def test_a_worker_that_starts_enqueues_one_sync_of_the_connections_due(fan_outs, settings):
    settings.REFERRAL_SYNC_ON_WORKER_START = True

    _sync_on_start(sender=None)

    assert fan_outs == [{"countdown": tasks.START_COUNTDOWN}]


def test_the_start_up_sync_can_be_turned_off(fan_outs, settings):
    settings.REFERRAL_SYNC_ON_WORKER_START = False
    assert tasks.sync_on_worker_start() is False and fan_outs == []


def test_a_worker_starts_even_when_the_broker_is_down(monkeypatch, settings):
    settings.REFERRAL_SYNC_ON_WORKER_START = True

    def refused(**options):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.sync_due, "apply_async", refused)
    assert tasks.sync_on_worker_start() is False


def test_the_start_up_fan_out_skips_connections_synced_within_the_interval(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda name: sent.append(name))
    SyncClaim.objects.create(connection="sandbox", finished_at=timezone.now() - timedelta(minutes=5))

    assert tasks.sync_due.run() == 0
    assert tasks.sync_all.run() == 1  # beat's run syncs it all the same

    SyncClaim.objects.update(finished_at=timezone.now() - timedelta(minutes=16))
    assert tasks.sync_due.run() == 1
    assert sent == ["sandbox", "sandbox"]
