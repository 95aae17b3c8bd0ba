"""Celery tasks of the referral sync: ids in, one service call, retries only for transient failures.

Arguments are a registration name and a FHIR patient id, never URLs or names (SECURITY.md 4.4). Each
task is stateless and idempotent (upserts on natural keys, a watermark that only moves forward, a claim
per connection), so a redelivered or repeated message changes nothing. The unit of work is a connection
(or a patient of it); its pages are read in turn by the worker that holds the connection's claim, and a
retried task resumes at the stored next page. More workers sync more connections at once.
"""

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from smartapp.ehr.errors import EhrUnavailable

from . import outbox, sync
from .freshness import connections_due
from .recompute import referral_states_refresh

log = logging.getLogger(__name__)

MAX_COUNTDOWN = 900  # seconds; SECURITY.md 5.2, and below Redis' visibility timeout (no double delivery)
BUSY_COUNTDOWN = 60  # a patient's sync waits this long for the connection's running sync
START_COUNTDOWN = 5  # seconds between a worker's start and its start-up sync


class SyncTask(Task):
    """Backoff with full jitter on EhrUnavailable and database errors, or the EHR's Retry-After.

    A soft time limit also retries: the run stops between pages and the next one resumes there.
    """

    acks_late = True
    ignore_result = True
    autoretry_for = (EhrUnavailable, OperationalError, SoftTimeLimitExceeded)
    retry_backoff = True
    retry_backoff_max = MAX_COUNTDOWN
    retry_jitter = True
    max_retries = 8

    def retry(self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, **options):
        retry_after = getattr(exc, "retry_after", None) if isinstance(exc, EhrUnavailable) else None
        if retry_after is not None:
            countdown = min(retry_after, MAX_COUNTDOWN)
        return super().retry(
            args=args, kwargs=kwargs, exc=exc, throw=throw, eta=eta, countdown=countdown, **options
        )


@shared_task(base=SyncTask, bind=True)
def sync_connection(self, connection: str) -> None:
    """Sync one EHR connection (a no-op when another worker is syncing it)."""
    sync.referral_sync(connection=connection, run_id=_run_id(self))


@shared_task(base=SyncTask, bind=True)
def sync_patient(self, connection: str, patient_id: str) -> None:
    """Sync one patient of a connection now; waits (retries) while the connection's sync runs."""
    report = sync.referral_sync(connection=connection, patient=patient_id, run_id=_run_id(self))
    if report.busy:
        raise self.retry(countdown=BUSY_COUNTDOWN)


@shared_task(base=SyncTask, bind=True)
def sync_request(self, request_id: int) -> None:
    """Run a "track follow-up" outbox row's sync once (a no-op for a row that ran: outbox.py)."""
    try:
        report = outbox.sync_request_run(request_id=request_id, run_id=_run_id(self))
    except SyncTask.autoretry_for:
        raise
    except Exception:  # permanent (no credentials, refused, a bad answer): never sent again
        outbox.sync_request_finish(request_id=request_id)
        raise
    if report is not None and report.busy:
        raise self.retry(countdown=BUSY_COUNTDOWN)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def relay_sync_requests() -> int:
    """For beat: publish the "track follow-up" requests a broker outage left in the outbox."""
    return outbox.outbox_relay()


def _run_id(task: Task) -> str:
    """The task id: its retries and a redelivery are the same run (claims.claim_take)."""
    return (task.request.id or "").replace("-", "")


@shared_task(acks_late=True, ignore_result=True)
def sync_all() -> int:
    """Fan out: one sync_connection task per connection a background sync can read. For beat."""
    return _fan_out(sync.sync_connections())


@shared_task(acks_late=True, ignore_result=True)
def sync_due() -> int:
    """Fan out to the connections without a complete sync within the interval (a worker that starts)."""
    return _fan_out(connections_due(sync.sync_connections()))


def _fan_out(names: list[str]) -> int:
    for name in names:
        sync_connection.delay(name)
    log.info("referral sync fanned out", extra={"connections": len(names)})
    return len(names)


def sync_on_worker_start(**kwargs) -> bool:
    """Celery's worker_ready (smartapp/celery.py): sync, once, the connections beat has not synced within
    its interval, so that a worklist is not empty or stale until beat's next run (after bin/run, or a
    deploy). A worker starting after another's sync finished finds nothing due, so restarts do not poll
    the EHR more often than beat does. Returns whether it enqueued the fan-out."""
    if not getattr(settings, "REFERRAL_SYNC_ON_WORKER_START", True):
        return False
    try:
        # A few seconds' grace: bin/run starts the web (and so the sandbox EHR) alongside the worker.
        sync_due.apply_async(countdown=START_COUNTDOWN)
    except BrokerUnavailable:  # beat's next run will do; a worker must start whatever the broker said
        log.warning("start-up sync not enqueued: the broker is unavailable")
        return False
    return True


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def refresh_states() -> int:
    """Daily: pending referrals past their due date become overdue, booked visits in the past move on."""
    return referral_states_refresh(today=timezone.localdate())
