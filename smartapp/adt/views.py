"""The care coordinator's review of parked ADT messages (`/referrals/adt-review/`): only for coordinators,
only their own connections' messages (referrals/access.py), every response no-store, every read and action
audited ("adt.review", no PHI in the detail)."""

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.core.roles import requires_role
from smartapp.ehr.errors import EhrError
from smartapp.referrals.access import Coordinator, coordinator_for
from smartapp.referrals.credentials import SyncNotPossible

from .review import LinkRefused, match_again, parked_message, parked_messages, patient_link

AUDIT_ACTION = "adt.review"
PAGE = "/referrals/adt-review/"


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@requires_role("coordinator")
@never_cache
@require_GET
def review(request):
    coordinator = coordinator_for(request)
    rows = parked_messages(coordinator.connections)
    coordinator.audit(request, action=AUDIT_ACTION, outcome="viewed", detail={"rows": len(rows)})
    return _page(request, coordinator, rows)


@requires_role("coordinator")
@never_cache
@require_POST
def match(request, pk: int):
    """Search the EHR for the message's patient again (CSRF-checked)."""
    coordinator = coordinator_for(request)
    message = _message(request, coordinator, pk)
    report = match_again(message)
    coordinator.audit(
        request,
        action=AUDIT_ACTION,
        outcome="matched" if report.processed else "match_again",
        detail={"message": pk, "processed": report.processed, "parked": report.parked},
    )
    return _back()


@requires_role("coordinator")
@never_cache
@require_POST
def link(request, pk: int):
    """Link the message's patient identifier to a FHIR Patient id the coordinator found (CSRF-checked);
    the Patient is read at the EHR first, so that a mistyped id links nothing."""
    coordinator = coordinator_for(request)
    message = _message(request, coordinator, pk)
    patient_id = request.POST.get("patient_id", "").strip()[:64]
    try:
        report = patient_link(message, patient_id=patient_id)
    except (LinkRefused, EhrError, SyncNotPossible) as error:
        coordinator.audit(
            request, action=AUDIT_ACTION, outcome="link_refused",
            detail={"message": pk, "error": type(error).__name__},
        )  # fmt: skip
        problem = "The EHR has no patient with that id, or could not be asked. Nothing was linked."
        return _page(request, coordinator, parked_messages(coordinator.connections), problem, status=400)
    coordinator.audit(
        request,
        action=AUDIT_ACTION,
        outcome="linked",
        patient_ref=patient_id,
        detail={"message": pk, "processed": report.processed},
    )
    return _back()


def _message(request, coordinator: Coordinator, pk: int):
    message = parked_message(coordinator.connections, pk)
    if message is None:
        coordinator.audit(
            request, action="access.denied", outcome="message_not_found", detail={"message": pk}
        )
        raise Http404("No such parked message.")
    return message


def _page(request, coordinator: Coordinator, rows, problem: str = "", *, status: int = 200):
    context = {"launch": coordinator.launch, "rows": rows, "problem": problem}
    return _no_store(render(request, "adt/review.html", context, status=status))


def _back():
    response = HttpResponseRedirect(PAGE)
    response.status_code = 303  # See Other: reloading the page that follows does not resend the POST
    return _no_store(response)
