"""Fixtures shared by the referrals tests."""

import pytest

from smartapp.referrals import tasks
from smartapp.referrals.models import SyncRequest


@pytest.fixture
def published(monkeypatch):
    """(connection, patient id) of each sync request published to the broker (nothing reaches one)."""
    sent = []

    def publish(args, task_id):
        row = SyncRequest.objects.get(pk=args[0])
        sent.append((row.connection, row.patient_id))

    monkeypatch.setattr(tasks.sync_request, "apply_async", publish)
    return sent
