"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_ready

from smartapp.core import broker_fixes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartapp.settings")

broker_fixes.apply()  # a worker must survive its Redis restarting (core/broker_fixes.py)
app = Celery("smartapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_logs(logger, **kwargs):
    """The worker replaces the root logger's handlers with its own: give them the PHI filter too."""
    from smartapp.core.log_redaction import attach

    attach(logger)


@worker_ready.connect
def _sync_on_start(sender=None, **kwargs):
    """One referral sync when a worker starts (REFERRAL_SYNC_ON_WORKER_START; referrals/tasks.py)."""
    from smartapp.referrals.tasks import sync_on_worker_start

    sync_on_worker_start()
