"""What the rest of the app gets from a launch: the launch itself (checked) and an EhrClient for it.

A launch is found by the id in the URL and must be one of this browser's launches, of this user, still
open, and of an allowed role: changing the id in a URL never reaches another launch's patient.
"""

import threading
import uuid
from contextlib import contextmanager
from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import Http404

from smartapp.audit.services import audit_record
from smartapp.ehr.errors import EhrAuthExpired
from smartapp.ehr.fhir import EhrClient
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.events import audit_launch_event
from smartapp.launch.grants import grant_access_token, grant_renewed_token
from smartapp.launch.models import Launch


def launch_for(request, launch_id, *, roles: tuple[str, ...]) -> Launch:
    """The open launch `launch_id` of this browser and user, in one of `roles`; 404 or 403 otherwise.

    Both refusals are audited (access.denied): another browser's launch, an ended one, a made-up id.
    """
    key = str(launch_id)
    if not request.user.is_authenticated or key not in request.session.get(SESSION_LAUNCHES, []):
        _not_found(request, key)
    try:
        launch = Launch.objects.get(pk=uuid.UUID(key), user=request.user, ended_at__isnull=True)
    except (Launch.DoesNotExist, ValueError):
        _not_found(request, key)
    if launch.persona not in roles:
        audit_launch_event(request, launch, action="access.denied", outcome="wrong_role")
        raise PermissionDenied("This page is not for your role.")
    return launch


def _not_found(request, key: str) -> NoReturn:
    # The id from the URL is the app's own launch uuid (never PHI); it tells an auditor what was tried.
    audit_record(
        action="access.denied", outcome="launch_not_found", request=request, detail={"launch": key[:64]}
    )
    raise Http404("No such launch in this session.")


@contextmanager
def audited_client(request, launch: Launch):
    """An EhrClient with this launch's (refreshed if needed) token; every request it made is audited.

    A request the EHR answers 401 gets one refresh of the grant (shared by every request refused the same
    token, in this client and in other requests of the launch) and is sent once more; a refresh that is
    refused, or a second 401, is EhrAuthExpired: the relaunch page.

    Requests may run on worker threads (a chart searches concurrently); their audit events are written
    here, on the request's thread, when the block ends, failures included. A record the block refuses as
    not this launch's (Http404: a note of another patient) is audited as access.denied after them.
    """
    events = []  # list.append is atomic: safe from the client's threads

    def remember(resource_type: str, kind: str, status: int) -> None:
        events.append((resource_type, kind, status))

    client = EhrClient(
        base_url=launch.issuer,
        access_token=grant_access_token(launch),
        on_request=remember,
        renew_token=_renewer(launch),
    )
    refused = False
    try:
        yield client
    except Http404:
        refused = True
        raise
    finally:
        for resource_type, kind, status in events:
            audit_launch_event(
                request, launch, action=f"fhir.{kind}", outcome=str(status), resource_types=[resource_type]
            )
        if refused:
            audit_launch_event(request, launch, action="access.denied", outcome="record_not_found")


def _renewer(launch: Launch):
    """The client's renew_token: one refresh for the page after a 401 (a token refreshed for it and refused
    again ends the session). It may run on one of the chart's worker threads, whose own database
    connection is closed when it is done (Django closes only the request thread's)."""
    request_thread = threading.get_ident()
    renewed = []

    def renew(stale: str) -> str:
        if renewed:
            raise EhrAuthExpired()
        renewed.append(stale)
        try:
            return grant_renewed_token(launch, stale=stale)
        finally:
            if threading.get_ident() != request_thread:
                connections.close_all()

    return renew
