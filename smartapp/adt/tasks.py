"""Celery task of the ADT feed: beat's sweep (every ADT_SWEEP_SECONDS) of the stored messages that the
listener's own processing thread did not get to (a listener that stopped, an EHR that was down, a parked
message whose retry is due). Thin: one service, idempotent, retried only on database errors."""

from celery import shared_task
from django.db import OperationalError

from .process import adt_process_pending

MAX_ROUNDS = 20  # at most 20 claims of 200 per run: beat's next run takes the rest


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def process_pending() -> int:
    """Process due messages until none is left (bounded); returns how many were claimed. EHR outages
    need no retry here: the processing leaves those messages pending with their own backoff."""
    total = 0
    for _ in range(MAX_ROUNDS):
        report = adt_process_pending()
        claimed = report.processed + report.parked + report.ignored + report.retry
        total += claimed
        if not claimed:
            break
    return total
