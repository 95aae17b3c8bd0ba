"""Hostile-input battery, outages: the database or the broker going away during a request or a sync, and a
Celery message delivered twice.

The safe outcomes: a request whose database goes away answers a 503 page (Retry-After, no trace); "track
follow-up" with the broker down keeps the request in the outbox and says on the chart it is queued
(audited); a sync whose database fails mid-run is
retried and ends as one clean sync; a redelivered sync changes nothing. The audit events are the runs'
(`referrals.sync`) and the track request's; a request without a database cannot be audited in it (the
audit trail lives there), so its record is the (PHI-redacted) error log.

Deeper versions run against real PostgreSQL, Redis and workers in tests/services/ (-m services):
test_sync_worker.py (a duplicate delivery, a worker killed mid-sync, the database going away mid-sync) and
test_sync_broker_outage.py (Redis killed or hung mid-sync and during "track follow-up").
"""

import logging

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError, connection
from django.test import Client
from kombu.exceptions import OperationalError as BrokerUnavailable

from smartapp.referrals import sync, tasks, track_views
from smartapp.referrals.models import SyncRequest
from smartapp.sandbox.synthetic import catalog
from tests.referrals import dashboard
from tests.referrals.sync_support import duplicates, ehr_fixture, stored  # noqa: F401 (the `ehr` fixture)
from tests.security.battery import LEAKS, Watch, assert_clear_page

PATIENT = catalog.REFERRAL_PATIENT_ID


def _database_down_when(predicate):
    """A connection wrapper: every query `predicate` picks fails as a lost server connection does."""

    def wrapper(execute, sql, params, many, context):
        if predicate(sql):
            raise OperationalError("server closed the connection unexpectedly\n\tSELECT secret FROM x")
        return execute(sql, params, many, context)

    return wrapper


DOWN = {
    "db-down-inside-the-view": lambda sql: "referrals_" in sql,  # sign-in and session still work
    "db-down-for-the-whole-request": lambda sql: True,  # from the session lookup on
}


@pytest.mark.parametrize("down", DOWN.values(), ids=DOWN.keys())
def test_the_database_going_down_during_a_request_gives_a_503_page(db, caplog, down):
    browser = Client(raise_request_exception=False)
    dashboard.signed_in(browser)  # a coordinator: the worklist reads the database only
    row = dashboard.referral(state="overdue")
    watch = Watch()

    with (
        caplog.at_level(logging.ERROR, logger="django.request"),
        connection.execute_wrapper(_database_down_when(down)),
    ):
        page = browser.get("/referrals/")

    assert_clear_page(page, 503, "smartapp is briefly unavailable", "try again")
    assert page["Retry-After"] == "30" and "no-store" in page["Cache-Control"]
    assert row.patient_display not in page.content.decode()
    assert watch.grown() == {} and watch.events() == []  # nothing written (the database was down)
    assert any(record.levelno == logging.ERROR for record in caplog.records)  # the outage is logged


def test_an_unexpected_error_is_a_plain_500_page(db, monkeypatch):
    browser = Client(raise_request_exception=False)
    dashboard.signed_in(browser)

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT * FROM secrets")  # noqa: EM101 (the text must not reach the page)

    monkeypatch.setattr("smartapp.referrals.views.worklist_rows", broken)
    watch = Watch()

    page = browser.get("/referrals/")

    assert_clear_page(page, 500, "Something went wrong")
    assert watch.grown() == {}


@pytest.mark.django_db(transaction=True)  # "track follow-up" publishes after its commit, as in production
def test_the_broker_down_during_track_follow_up_queues_the_request_and_says_so(monkeypatch):
    """As tests/referrals/test_sync_track.py and test_sync_outbox.py (a refused connection, the relay) and
    tests/services/test_sync_broker_outage.py (a real Redis killed or hung, then back)."""

    def broker_down(*args, **kwargs):
        raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_request, "apply_async", broker_down)
    browser = Client()
    launch = dashboard.signed_in(browser, persona="clinician", patient_id=PATIENT)
    watch = Watch()

    back = browser.post(f"/referrals/track/{launch.pk}/")

    assert back.status_code == 302 and back["Location"] == f"/chart/{launch.pk}/"
    assert [str(m) for m in get_messages(back.wsgi_request)] == [track_views.QUEUED]
    assert not any(leak in track_views.QUEUED for leak in LEAKS)
    assert watch.grown() == {}
    assert SyncRequest.objects.filter(sent_at=None, finished_at=None).count() == 1  # kept for the relay
    assert watch.events() == [("referrals.track", "requested"), ("referrals.track", "broker_unavailable")]


def test_a_redelivered_sync_changes_nothing(ehr):
    """acks_late: a worker lost before acknowledging gets its message again, with the same task id."""
    first = tasks.sync_patient.apply(args=("sandbox", PATIENT), task_id="redelivered-message")
    assert first.successful(), first.result
    before = stored()
    watch = Watch()

    again = tasks.sync_patient.apply(args=("sandbox", PATIENT), task_id="redelivered-message")

    assert again.successful(), again.result
    assert stored() == before and duplicates() == []
    assert watch.grown() == {}
    assert watch.event("referrals.sync", "complete").detail["created"] == 0


def test_the_database_failing_mid_sync_is_retried_to_one_clean_sync(ehr, monkeypatch):
    """As tests/referrals/test_sync.py (a connection's sync) and tests/services/test_sync_worker.py."""
    real_store, calls = sync.referral_page_store, []

    def failing_once(**kwargs):
        calls.append(kwargs["resource_type"])
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(**kwargs)

    monkeypatch.setattr(sync, "referral_page_store", failing_once)
    watch = Watch()

    result = tasks.sync_patient.apply(args=("sandbox", PATIENT))

    assert result.successful(), result.result
    assert calls.count(calls[1]) == 2  # the failed page was stored on the retry
    assert duplicates() == []
    assert watch.grown()["referral"] > 0
    assert watch.events()[-2:] == [("referrals.sync", "failed"), ("referrals.sync", "complete")]
