"""Periodic housekeeping of the sandbox's authorization server."""

from celery import shared_task

from smartapp.sandbox import housekeeping


@shared_task(acks_late=True, ignore_result=True)
def purge_expired() -> None:
    housekeeping.purge_expired()
