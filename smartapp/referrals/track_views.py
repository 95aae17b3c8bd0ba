"""Track follow-up from a clinician's chart: sync the patient in the launch's context now, in the background.

POST only (CSRF-protected), for the browser's own open clinician launch (launch.access.launch_for: another
session's launch is not found, another role is refused and audited). The request is an outbox row written
with its audit event ("requested"), published once that commits (outbox.py); a broker that is down is
audited too, and the chart says the request is queued: the relay publishes it once the broker is back.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from smartapp.core.roles import requires_role
from smartapp.ehr import configs
from smartapp.launch.access import launch_for
from smartapp.launch.events import audit_launch_event

from .credentials import can_sync
from .outbox import BROKER_DOWN, outbox_send, sync_request_create

STARTED = (
    "Follow-up tracking started: this patient's referrals and visits are being synced for the care team."
)
NOT_SET_UP = "Follow-up tracking is not set up for this EHR."
NO_PATIENT = "This launch has no patient to track."
QUEUED = "Follow-up tracking is queued and will start when the job queue is back."


@requires_role("clinician")
@never_cache
@require_POST
def track_follow_up(request, launch_id):
    launch = launch_for(request, launch_id, roles=("clinician",))
    config = configs.by_name(launch.config_name)
    if not launch.patient_id:
        outcome, level, text = "no_patient", messages.ERROR, NO_PATIENT
    elif config is None or not can_sync(config):
        outcome, level, text = "not_set_up", messages.ERROR, NOT_SET_UP
    else:
        outcome, level, text = _enqueue(request, launch)
    if outcome != "sent":  # a sent request was audited with its outbox row
        audit_launch_event(request, launch, action="referrals.track", outcome=outcome)
    messages.add_message(request, level, text)
    return redirect("chart", launch_id=launch.pk)


def _enqueue(request, launch) -> tuple[str, int, str]:
    with transaction.atomic():
        audit_launch_event(request, launch, action="referrals.track", outcome="requested")
        row = sync_request_create(connection=launch.config_name, patient_id=launch.patient_id)
    if outbox_send(request_id=row.pk) == BROKER_DOWN:  # after the commit: the row is kept either way
        return "broker_unavailable", messages.WARNING, QUEUED
    return "sent", messages.SUCCESS, STARTED
