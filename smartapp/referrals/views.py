"""The care coordinator's pages. Only for users who signed in as a coordinator in this browser, and only
for referrals of the EHR connections they signed in from (access.py). Every response is no-store."""

import secrets

from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.core.roles import requires_role

from .access import Coordinator, chart_launch_for, coordinator_for, patient_id_of, referral_for
from .action_forms import action_context
from .credential_backoff import refused_connections
from .export import csv_lines
from .follow_up_rules import rule_description
from .forms import NOTE_MAX, OutreachNoteForm, WorklistFilterForm
from .freshness import connection_freshness, connection_title
from .models import Referral
from .outreach import OutreachKeyReused, outreach_note_add
from .presenter import list_heading, page_links, query_string, sort_links, state_tabs
from .selectors import care_team, referral_work
from .store import configured_rules
from .timeline import evidence_timeline, outreach_notes
from .worklist import SHOW, STATE_LABELS, filter_options, state_counts, worklist_referrals, worklist_rows

PAGE_SIZE = 50


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@requires_role("coordinator")
@never_cache
@require_GET
def worklist(request):
    coordinator = coordinator_for(request)
    form = WorklistFilterForm(request.GET, connections=coordinator.connections)
    chosen, scope, today = form.chosen(), {"connections": coordinator.connections}, timezone.localdate()
    mine = {**scope, "user_id": request.user.pk, "today": today}  # "mine", and which snoozes have ended
    paginator = Paginator(worklist_referrals(**mine, chosen=chosen), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = worklist_rows(page.object_list, today=today)
    coordinator.audit(
        request, action="referrals.worklist", outcome="viewed", detail={**chosen, "page": page.number}
    )
    context = {
        "launch": coordinator.launch,
        "connections": coordinator.connections,
        "form": form,
        "chosen": chosen,
        "page": page,
        "rows": rows,
        "tabs": state_tabs(chosen, state_counts(**mine, chosen=chosen)),
        "sorts": sort_links(chosen),
        "options": filter_options(**scope, chosen=chosen, today=today),
        "filter_query": query_string(chosen),
        "pages": page_links(chosen, page),
        "refused_syncs": _refused_syncs(coordinator.connections),
        "freshness": connection_freshness(coordinator.connections),
        "ehr_titles": [connection_title(name) for name in coordinator.connections],
        **action_context(team=care_team(**scope), today=today),
        "shows": list(SHOW.items()),
        "heading": list_heading(chosen),
        # The bulk form posts to a URL carrying the list's filters and page: where its 303 leads back to.
        "bulk_query": query_string(chosen, page=str(page.number) if page.number > 1 else None),
    }
    return _no_store(render(request, "referrals/worklist.html", context))


def _refused_syncs(connections) -> list[tuple[str, object]]:
    """(EHR title, since) of the connections whose sync credentials the EHR refused: the worklist is stale."""
    return [(connection_title(name), since) for name, since in refused_connections(connections).items()]


@requires_role("coordinator")
@never_cache
@require_GET
def detail(request, pk: int):
    coordinator = coordinator_for(request)
    referral = referral_for(request, coordinator, pk)
    form = OutreachNoteForm(initial={"idempotency_key": secrets.token_urlsafe(24)})
    return _detail_page(request, coordinator, referral, form)


@requires_role("coordinator")
@never_cache
@require_POST
def outreach_add(request, pk: int):
    """Add an outreach note (CSRF-checked). A resubmitted form carries the same key: still one note."""
    coordinator = coordinator_for(request)
    referral = referral_for(request, coordinator, pk)
    form = OutreachNoteForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, coordinator, referral, form, status=400)
    try:
        outreach_note_add(
            referral=referral,
            author_id=request.user.pk,
            text=form.cleaned_data["text"],
            contacted=form.cleaned_data["contacted"],
            key=form.cleaned_data["idempotency_key"],
            audit=lambda note: coordinator.audit(
                request,
                action="referrals.outreach",
                outcome="contacted" if note.contacted else "noted",
                patient_ref=patient_id_of(referral),
                detail={"referral": referral.pk, "note": note.pk, "chars": len(note.text)},
            ),
        )
    except OutreachKeyReused:
        form = OutreachNoteForm(initial={"idempotency_key": secrets.token_urlsafe(24)})
        return _detail_page(request, coordinator, referral, form, status=409)
    response = HttpResponseRedirect(f"/referrals/{referral.pk}/#outreach")
    response.status_code = 303  # See Other: reloading the page that follows does not resend the POST
    return _no_store(response)


@requires_role("coordinator")
@never_cache
@require_GET
def export_csv(request):
    """The worklist under the current filters, every page, streamed."""
    coordinator = coordinator_for(request)
    chosen = WorklistFilterForm(request.GET, connections=coordinator.connections).chosen()
    referrals = worklist_referrals(
        connections=coordinator.connections, chosen=chosen, user_id=request.user.pk
    )
    today = timezone.localdate()
    coordinator.audit(
        request, action="referrals.export", outcome="streamed", detail={**chosen, "rows": referrals.count()}
    )
    response = StreamingHttpResponse(
        csv_lines(referrals.iterator(chunk_size=500), today=today), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="worklist-{today.isoformat()}.csv"'
    return _no_store(response)


def _detail_page(request, coordinator: Coordinator, referral: Referral, form, *, status: int = 200):
    today = timezone.localdate()
    patient_id = patient_id_of(referral)
    coordinator.audit(
        request,
        action="referrals.view",
        outcome="viewed",
        patient_ref=patient_id,
        detail={"referral": referral.pk},
    )
    context = {
        "launch": coordinator.launch,
        "referral": referral,
        "patient_id": patient_id,
        "state_label": STATE_LABELS.get(referral.state, referral.state),
        "evidence": evidence_timeline(referral, today=today),
        "notes": outreach_notes(referral),
        "form": form,
        "note_max": NOTE_MAX,
        "fresh_key": secrets.token_urlsafe(24),  # replaces a key that did not validate
        "ehr_title": connection_title(referral.connection),
        "follow_up_rule": rule_description(configured_rules(), referral.follow_up_rule),
        "chart_launch": chart_launch_for(request, connection=referral.connection, patient_id=patient_id),
        # The care team's work on it (templates/referrals/_work.html): owner, next action, snooze, close.
        "work": referral_work(referral, today=today),
        **action_context(team=care_team(connections=coordinator.connections), today=today),
    }
    return _no_store(render(request, "referrals/detail.html", context, status=status))
