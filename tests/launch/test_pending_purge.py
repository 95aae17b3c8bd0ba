"""Authorization requests that never came back from the EHR are deleted once expired: by beat's task
(every 10 minutes) or by `manage.py purge_pending_authorizations`. Fresh ones stay (their callback may
still come)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from smartapp.celery import app as celery_app
from smartapp.launch import tasks
from smartapp.launch.models import PendingAuthorization
from smartapp.launch.state import LIFETIME

TASK = "smartapp.launch.tasks.purge_pending_authorizations"


def pending(n: int, *, age: timedelta) -> PendingAuthorization:
    row = PendingAuthorization.objects.create(
        state_hash=f"{n:064x}", session_key="s" * 64, config_name="sandbox", persona="clinician",
        issuer="http://127.0.0.1:8000/sandbox/fhir", token_endpoint="http://127.0.0.1:8000/sandbox/auth/token/",
        redirect_uri="http://127.0.0.1:8000/callback/sandbox/", code_verifier="x", nonce="n", scope="openid",
    )  # fmt: skip
    PendingAuthorization.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


@pytest.fixture
def rows(db):
    """357 left behind by a rate-limit run (the oldest 23 minutes old), and two in flight."""
    for n in range(357):
        pending(n, age=LIFETIME + timedelta(seconds=1 + n * 3))
    return [pending(1000, age=timedelta(0)), pending(1001, age=LIFETIME - timedelta(seconds=30))]


def kept() -> list[int]:
    return sorted(PendingAuthorization.objects.values_list("pk", flat=True))


def test_the_task_deletes_the_expired_and_keeps_the_fresh(rows):
    assert tasks.purge_pending_authorizations.apply().get() == 357
    assert kept() == sorted(row.pk for row in rows)


def test_a_second_purge_changes_nothing(rows):
    tasks.purge_pending_authorizations.apply()
    assert tasks.purge_pending_authorizations.apply().get() == 0
    assert len(kept()) == 2


def test_the_command_purges_and_says_how_many(rows):
    out = StringIO()
    call_command("purge_pending_authorizations", stdout=out)
    assert out.getvalue().strip() == "357 expired pending authorizations deleted"
    assert len(kept()) == 2


def test_beat_runs_the_purge_at_least_as_often_as_requests_expire():
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == TASK]
    assert len(entries) == 1
    assert entries[0]["schedule"] <= LIFETIME.total_seconds()
    celery_app.loader.import_default_modules()
    assert TASK in celery_app.tasks  # the name beat sends is a task the worker knows
