"""Sync now: a coordinator starts a sync of one of their connections, at most once per window.

- The request is claimed by a conditional UPDATE of SyncClaim.requested_at (STYLE.md convention 3): of
  two clicks at once, or within REFERRAL_SYNC_NOW_MIN_SECONDS of each other, one goes through.
- It travels like a clinician's "track follow-up" (outbox.py): a SyncRequest row for the whole connection
  (patient_id ""), written in the transaction of the audit event and published once that commits. A
  broker that is down leaves the row for beat's relay, which publishes it once the broker is back: the
  request is never lost, and never run twice.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smartapp.ehr import configs

from .credential_backoff import credentials_refused_since
from .credentials import can_sync
from .models import SyncClaim
from .outbox import BROKER_DOWN, outbox_send, sync_request_create

# What a request did (the audit event's outcome).
REQUESTED, RATE_LIMITED, BROKER_UNAVAILABLE, NOT_SET_UP = (
    "requested",
    "rate_limited",
    "broker_unavailable",
    "not_set_up",
)
DEFAULT_MIN_SECONDS = 120


def sync_now_request(*, connection: str, audit: Callable[[str], None], now: datetime | None = None) -> str:
    """Ask for a sync of `connection` now; audits each outcome through `audit(outcome)` and returns it.

    The caller has checked that `connection` is one of the coordinator's.
    """
    config = configs.by_name(connection)
    if config is None or not can_sync(config) or (config.as_backend() and credentials_refused_since(config)):
        audit(NOT_SET_UP)
        return NOT_SET_UP
    with transaction.atomic():
        if not _request_claim(connection, now or timezone.now()):
            audit(RATE_LIMITED)
            return RATE_LIMITED
        audit(REQUESTED)
        row = sync_request_create(connection=connection, patient_id="")
    if outbox_send(request_id=row.pk) == BROKER_DOWN:  # after the commit: the row waits for the relay
        audit(BROKER_UNAVAILABLE)
        return BROKER_UNAVAILABLE
    return REQUESTED


def _request_claim(connection: str, now: datetime) -> bool:
    """Take the connection's "Sync now" for this request: False when one was taken within the window."""
    SyncClaim.objects.bulk_create([SyncClaim(connection=connection)], ignore_conflicts=True)
    due = Q(requested_at__isnull=True) | Q(requested_at__lte=now - min_interval())
    return SyncClaim.objects.filter(due, connection=connection).update(requested_at=now) == 1


def min_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "REFERRAL_SYNC_NOW_MIN_SECONDS", DEFAULT_MIN_SECONDS)))
