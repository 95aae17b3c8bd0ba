"""The note viewer: the note's page, and its content served so that nothing in it can run."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from smartapp.chart.mappers import patient_banner
from smartapp.chart.note_fetch import note_open, note_open_with_patient
from smartapp.chart.reuse import reused_chart
from smartapp.chart.sections import vendor_rules
from smartapp.core.roles import requires_role
from smartapp.ehr.errors import EhrError, EhrForbidden
from smartapp.launch.access import audited_client, launch_for
from smartapp.launch.embedding import embeddable, frame_ancestors
from smartapp.launch.problems import problem_page, reason_for

ROLES = ("clinician", "patient")
# The note's own HTML gets a sandboxed origin with nothing allowed: no script, no remote anything. Only the
# note page frames it (plus, above that page, an EHR that embeds the app: frame-ancestors checks them all).
CONTENT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _opened(request, launch_id, document_id):
    launch = launch_for(request, launch_id, roles=ROLES)
    with audited_client(request, launch) as client:
        return launch, note_open(
            client,
            document_id=document_id,
            patient_id=launch.patient_id,
            rules=vendor_rules(launch.config_name),
        )


def _opened_with_patient(request, launch_id, document_id):
    """(launch, note, Patient or None): the chart's Patient when it was fetched in the last minute."""
    launch = launch_for(request, launch_id, roles=ROLES)
    reused = reused_chart(launch)
    with audited_client(request, launch) as client:
        note, patient = note_open_with_patient(
            client,
            document_id=document_id,
            patient_id=launch.patient_id,
            patient=reused[0] if reused else None,
            rules=vendor_rules(launch.config_name),
        )
    return launch, note, patient


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@requires_role(*ROLES)
@embeddable
@never_cache
@require_GET
def note_page(request, launch_id, document_id):
    try:
        launch, note, patient = _opened_with_patient(request, launch_id, document_id)
    except EhrForbidden:
        return problem_page(request, "not_shared")
    except EhrError as error:
        return problem_page(request, reason_for(error))
    banner = patient_banner(patient, today=timezone.localdate()) if patient else None
    context = {"launch": launch, "note": note.row, "body": note.body, "document_id": document_id}
    context |= {"banner": banner, "show_banner": launch.need_patient_banner}
    return _no_store(render(request, "chart/note.html", context))


@requires_role(*ROLES)
@never_cache
@require_GET
@xframe_options_sameorigin
def note_content(request, launch_id, document_id):
    """The sanitized HTML (for a sandboxed iframe) or the PDF; anything else is refused."""
    try:
        _, note = _opened(request, launch_id, document_id)
    except EhrError:
        return _no_store(
            HttpResponse("This note could not be loaded.", content_type="text/plain", status=502)
        )
    body = note.body
    if body.kind == "html":
        response = HttpResponse(body.html, content_type="text/html; charset=utf-8")
    elif body.kind == "pdf":
        response = HttpResponse(body.data, content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="note.pdf"'
    else:
        response = HttpResponse(body.message or body.text, content_type="text/plain; charset=utf-8")
    framers = " ".join(frame_ancestors(own_origin=True))
    response["Content-Security-Policy"] = f"{CONTENT_CSP}; frame-ancestors {framers}"
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)
