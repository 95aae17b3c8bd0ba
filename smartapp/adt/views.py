"""The care coordinator's review of parked ADT messages (`/referrals/adt-review/`): only for coordinators,
only their own connections' messages (referrals/access.py), every response no-store, every read and action
audited ("adt.review", no PHI in the detail: never the MRN or id typed)."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.core.roles import requires_role
from smartapp.ehr.errors import EhrError, EhrUnavailable
from smartapp.referrals.access import Coordinator, coordinator_for
from smartapp.referrals.credentials import SyncNotPossible
from smartapp.referrals.presenter import page_links

from .review import (
    LinkRefused,
    match_again,
    mrn_link,
    parked_message,
    parked_page,
    patient_link,
    resolved,
)

AUDIT_ACTION = "adt.review"
PAGE = "/referrals/adt-review/"
MAX_PAGE_DIGITS = 6  # the hidden `page` of a form: a page number, never anything longer
# The flash after a link or a match names only the message (its pk): the page reads the patient's name
# from the database, so no PHI travels in the messages cookie (Django's default CookieStorage).
LINKED, MATCHED = "adt-linked", "adt-matched"
STILL_UNMATCHED = (
    "Searched again: the EHR still has no single patient with the identifiers the hospital sent. "
    "The message keeps waiting here."
)
EHR_DOWN = "The EHR could not be reached just now. Nothing was linked: try again in a few minutes."
NO_CREDENTIALS = "smartapp has no credentials to search this EHR. Nothing was linked: ask an administrator."
EHR_REFUSED = "The EHR refused the request. Nothing was linked."


@dataclass(frozen=True)
class Refusal:
    """Why a link failed, shown in the row of message `pk`, with what was typed (to correct it)."""

    pk: int
    words: str
    method: str  # "mrn" or "fhir_id"
    typed: str


@requires_role("coordinator")
@never_cache
@require_GET
def review(request):
    coordinator = coordinator_for(request)
    page = parked_page(coordinator.connections, request.GET.get("page"))
    detail = {"page": page.number, "rows": len(page.object_list)}
    coordinator.audit(request, action=AUDIT_ACTION, outcome="viewed", detail=detail)
    return _page(request, coordinator, page)


@requires_role("coordinator")
@never_cache
@require_POST
def match(request, pk: int):
    """Search the EHR for the message's patient again, with the identifiers as sent (CSRF-checked)."""
    coordinator = coordinator_for(request)
    message = _message(request, coordinator, pk)
    report = match_again(message)
    coordinator.audit(
        request,
        action=AUDIT_ACTION,
        outcome="matched" if report.processed else "match_again",
        detail={"message": pk, "processed": report.processed, "parked": report.parked},
    )
    if report.processed:
        messages.success(request, str(pk), extra_tags=MATCHED)
    else:
        messages.info(request, STILL_UNMATCHED)
    return _back(request)


@requires_role("coordinator")
@never_cache
@require_POST
def link(request, pk: int):
    """Link the message's patient to the Patient the coordinator found in the EHR (CSRF-checked): by the
    MRN the EHR shows (`mrn`), or by FHIR Patient id (`patient_id`). The EHR is asked first, so a mistyped
    value links nothing."""
    coordinator = coordinator_for(request)
    message = _message(request, coordinator, pk)
    method = "mrn" if "mrn" in request.POST else "fhir_id"
    typed = request.POST.get("mrn" if method == "mrn" else "patient_id", "")[:200]
    try:
        linked = mrn_link(message, mrn=typed) if method == "mrn" else patient_link(message, patient_id=typed)
    except (LinkRefused, EhrError, SyncNotPossible) as error:
        reason, words = _refusal(error)
        coordinator.audit(
            request, action=AUDIT_ACTION, outcome="link_refused",
            detail={"message": pk, "method": method, "reason": reason},
        )  # fmt: skip
        page = parked_page(coordinator.connections, _page_posted(request))
        return _page(request, coordinator, page, Refusal(pk, words, method, typed), status=400)
    coordinator.audit(
        request,
        action=AUDIT_ACTION,
        outcome="linked",
        patient_ref=linked.patient_id,
        detail={"message": pk, "method": method, "processed": linked.report.processed},
    )
    messages.success(request, str(pk), extra_tags=LINKED)
    return _back(request)


def _refusal(error: Exception) -> tuple[str, str]:
    """(reason code for the audit, words for the page) of a failed link."""
    if isinstance(error, LinkRefused):
        return error.reason, str(error)
    if isinstance(error, EhrUnavailable):
        return "ehr_unavailable", EHR_DOWN
    if isinstance(error, SyncNotPossible):
        return "no_credentials", NO_CREDENTIALS
    return "ehr_refused", EHR_REFUSED


def _message(request, coordinator: Coordinator, pk: int):
    message = parked_message(coordinator.connections, pk)
    if message is None:
        coordinator.audit(
            request, action="access.denied", outcome="message_not_found", detail={"message": pk}
        )
        raise Http404("No such parked message.")
    return message


def _flashes(request, coordinator: Coordinator) -> tuple[list, list]:
    """(what was resolved, each with its verb; the other flash messages), read once."""
    done, others = [], []
    for flash in messages.get_messages(request):
        tags = set(flash.extra_tags.split())
        if not tags & {LINKED, MATCHED}:
            others.append(flash)
        elif flash.message.isdigit() and (outcome := resolved(coordinator.connections, int(flash.message))):
            done.append(("Linked" if LINKED in tags else "Found at the EHR", outcome))
    return done, others


def _page(request, coordinator: Coordinator, page, refusal: Refusal | None = None, *, status: int = 200):
    done, others = _flashes(request, coordinator)
    context = {
        "launch": coordinator.launch,
        "page": page,
        "rows": page.object_list,
        "pages": page_links({}, page),
        "refusal": refusal,
        "done": done,
        "notes": others,
    }
    return render(request, "adt/review.html", context, status=status)


def _page_posted(request) -> int | None:
    """The page a form was posted from (its hidden `page`): a number of ASCII digits, else None (the first
    page). Only this number reaches the redirect, never text, so it cannot lead off this page."""
    value = request.POST.get("page", "")
    if len(value) <= MAX_PAGE_DIGITS and value.isascii() and value.isdigit() and int(value) >= 1:
        return int(value)
    return None


def _back(request):
    """Back to the page of the list the coordinator acted on (the first when it was the first or unknown)."""
    number = _page_posted(request)
    response = HttpResponseRedirect(f"{PAGE}?page={number}" if number and number > 1 else PAGE)
    response.status_code = 303  # See Other: reloading the page that follows does not resend the POST
    return response
