"""Sync now and its progress, on the coordinator's worklist (freshness.py, sync_now.py).

- POST /referrals/sync-now/<registration name>/ (CSRF, coordinators, one of their own connections;
  another is refused and audited): asks for a sync, says what happened in a flash message, and answers
  303 to the worklist.
- GET /referrals/sync-status/: counts and times of the coordinator's connections as JSON, polled by
  static/js/sync-progress.js while a sync runs. It shows nothing of a patient, so it is not audited, and
  it does not count as activity (launch/session_policy.py): polling never keeps an idle session alive.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.core.roles import requires_role
from smartapp.ehr import configs

from .access import coordinator_for
from .freshness import Freshness, connection_freshness, connection_title
from .sync_now import BROKER_UNAVAILABLE, NOT_SET_UP, RATE_LIMITED, REQUESTED, min_interval, sync_now_request

MESSAGES = {
    REQUESTED: (messages.SUCCESS, "A sync of {title} has been requested. Its progress shows below."),
    RATE_LIMITED: (
        messages.INFO,
        "A sync of {title} was requested less than {minutes} min ago: it is on its way.",
    ),
    BROKER_UNAVAILABLE: (
        messages.WARNING,
        "The job queue is not answering. The sync of {title} is queued and will start when it is back.",
    ),
    NOT_SET_UP: (
        messages.ERROR,
        "{title} cannot be synced now: the app has no working credentials for it. Ask an administrator.",
    ),
}


@requires_role("coordinator")
@never_cache
@require_POST
def sync_now(request, config_name: str):
    coordinator, connection = coordinator_for(request), config_name
    if connection not in coordinator.connections:
        known = configs.by_name(connection) is not None  # only a registration's name reaches the audit
        coordinator.audit(
            request,
            action="access.denied",
            outcome="connection_not_found",
            detail={"connection": connection if known else "(unknown)"},
        )
        raise PermissionDenied("Not one of your EHR connections.")
    outcome = sync_now_request(
        connection=connection,
        audit=lambda outcome: coordinator.audit(
            request, action="referrals.sync_requested", outcome=outcome, detail={"connection": connection}
        ),
    )
    level, text = MESSAGES[outcome]
    messages.add_message(request, level, text.format(title=connection_title(connection), minutes=_minutes()))
    response = HttpResponseRedirect("/referrals/")
    response.status_code = 303  # See Other: reloading the worklist does not resend the POST
    response["Cache-Control"] = "no-store"
    return response


@requires_role("coordinator")
@never_cache
@require_GET
def sync_status(request):
    """The freshness of the coordinator's connections: counts and times only."""
    coordinator = coordinator_for(request)
    rows = [_status(row) for row in connection_freshness(coordinator.connections)]
    response = JsonResponse({"connections": rows})
    response["Cache-Control"] = "no-store"
    return response


sync_status.counts_as_activity = False  # launch/session_policy.py


def _status(row: Freshness) -> dict:
    return {
        "connection": row.connection,
        "syncing": row.syncing,
        "waiting": row.waiting,
        "pages": row.pages,
        "resource_type": row.resource_type,
        "progress": row.progress,
        "stale": row.stale,
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "failed_at": _iso(row.failed_at),
    }


def _iso(moment) -> str:
    return moment.isoformat() if moment is not None else ""


def _minutes() -> int:
    return max(round(min_interval().total_seconds() / 60), 1)
