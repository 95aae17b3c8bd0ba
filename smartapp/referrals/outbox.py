"""A transactional outbox for "track follow-up" (SECURITY.md 5.3): the request is a SyncRequest row written
in the transaction of its audit event, so a broker that is down loses nothing.

- `outbox_send` publishes one row right after that commit; the broker being down leaves it pending;
- `outbox_relay` (beat, every minute) publishes the rows still pending, and sends again a row published
  long ago whose sync never finished (a message lost with its broker), a few times at most;
- each publication first claims the row with a conditional UPDATE (STYLE.md convention 3), so two relays
  (or a relay and the view) never publish one row twice; the task is idempotent on the row id: a row
  whose sync finished is a no-op (`sync_request_run`).
"""

import logging
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from .models import SyncRequest
from .sync import SyncReport, referral_sync

log = logging.getLogger(__name__)

RESEND_AFTER = timedelta(hours=2)  # longer than the broker's visibility timeout (settings.py)
MAX_ATTEMPTS = 3
RELAY_BATCH = 100
SENT, NOT_DUE, BROKER_DOWN = "sent", "not_due", "broker_down"  # what outbox_send did


def sync_request_create(*, connection: str, patient_id: str) -> SyncRequest:
    """The outbox row of a requested sync: one patient's (`patient_id`), or the whole connection's ("");
    call inside the transaction of the request's audit event."""
    return SyncRequest.objects.create(connection=connection, patient_id=patient_id)


def outbox_send(*, request_id: int) -> str:
    """Publish the row's task unless another relay has: SENT, NOT_DUE (sent already, or finished), or
    BROKER_DOWN (the row stays pending for the relay)."""
    claimed_at = timezone.now()
    due = Q(sent_at__isnull=True) | Q(sent_at__lt=claimed_at - RESEND_AFTER, attempts__lt=MAX_ATTEMPTS)
    claimed = SyncRequest.objects.filter(due, pk=request_id, finished_at__isnull=True).update(
        sent_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return NOT_DUE
    attempt = SyncRequest.objects.filter(pk=request_id).values_list("attempts", flat=True).first()
    try:
        _publish(request_id, attempt)
    except BrokerUnavailable:
        SyncRequest.objects.filter(pk=request_id, sent_at=claimed_at).update(
            sent_at=None, attempts=F("attempts") - 1
        )
        return BROKER_DOWN
    return SENT


def outbox_relay(*, limit: int = RELAY_BATCH) -> int:
    """Publish the pending rows, oldest first; stops at the first broker failure. Returns how many."""
    stale = timezone.now() - RESEND_AFTER
    due = Q(sent_at__isnull=True) | Q(sent_at__lt=stale, attempts__lt=MAX_ATTEMPTS)
    pending = SyncRequest.objects.filter(due, finished_at__isnull=True).order_by("pk")
    sent = 0
    for request_id in pending.values_list("pk", flat=True)[:limit]:
        outcome = outbox_send(request_id=request_id)
        if outcome == BROKER_DOWN:
            log.warning("sync requests wait for the broker", extra={"sent": sent})
            break
        sent += outcome == SENT
    return sent


def sync_request_run(*, request_id: int, run_id: str) -> SyncReport | None:
    """Run the row's sync; None when it has run already (a duplicate message) or the row is gone."""
    row = SyncRequest.objects.filter(pk=request_id, finished_at__isnull=True).first()
    if row is None:
        return None
    report = referral_sync(connection=row.connection, patient=row.patient_id, run_id=run_id)
    if not report.busy:
        sync_request_finish(request_id=request_id)
    return report


def sync_request_finish(*, request_id: int) -> None:
    """Mark the row done: its sync ran, or can never run (the relay stops sending it)."""
    SyncRequest.objects.filter(pk=request_id, finished_at__isnull=True).update(finished_at=timezone.now())


def _publish(request_id: int, attempt: int) -> None:
    from .tasks import sync_request  # tasks call services; the outbox alone publishes a task

    # The task id is the sync's run id (claims.py): one per publication, so a resent message is a run
    # of its own, never one sharing the claim of a first message still running.
    sync_request.apply_async(args=[request_id], task_id=f"sync-request-{request_id}-{attempt}")
