"""Housekeeping of launches in flight: authorization requests that never came back are deleted.

A pending authorization holds an encrypted PKCE verifier and a nonce; after state.LIFETIME its callback is
refused anyway (state_expired), so keeping it only grows the table (issue 11: a rate-limit run left 357).
"""

import logging

from celery import shared_task
from django.db import OperationalError

from smartapp.launch.state import pending_purge

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def purge_pending_authorizations() -> int:
    """For beat: delete expired pending authorizations (idempotent: a second run finds none)."""
    purged = pending_purge()
    log.info("expired pending authorizations purged", extra={"count": purged})
    return purged
