"""The auditor's pages: events by patient, user, action and date, and their export (CSV, JSON, FHIR).

Only for auditors (access.py). Each view and export is itself an audit event; every response is no-store.
"""

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from smartapp.audit.access import auditor_required
from smartapp.audit.export import csv_lines, fhir_bundle_lines, json_lines
from smartapp.audit.forms import AuditFilterForm
from smartapp.audit.selectors import audit_events, audit_page
from smartapp.audit.services import audit_record
from smartapp.core.roles import requires_role

EXPORTS = {  # format: (lines, content type, file extension)
    "csv": (csv_lines, "text/csv; charset=utf-8", "csv"),
    "json": (json_lines, "application/json", "json"),
    "fhir": (fhir_bundle_lines, "application/fhir+json", "json"),
}


@requires_role("admin")
@never_cache
@require_GET
def events(request):
    auditor_required(request)
    form = AuditFilterForm(request.GET)
    chosen = form.chosen()
    page = audit_page(
        audit_events(chosen=chosen), before=_seq(request.GET, "before"), after=_seq(request.GET, "after")
    )
    audit_record(action="audit.view", outcome="viewed", request=request, detail=_detail(chosen))
    query = request.GET.copy()
    for key in ("before", "after", "format"):
        query.pop(key, None)
    context = {"form": form, "page": page, "filter_query": query.urlencode()}
    return _no_store(render(request, "audit/events.html", context))


@requires_role("admin")
@never_cache
@require_GET
def export_csv(request):
    return _export(request, "csv")


@requires_role("admin")
@never_cache
@require_GET
def export_json(request):
    """JSON rows, or with ?format=fhir a FHIR R4 Bundle (collection) of AuditEvent resources."""
    return _export(request, "fhir" if request.GET.get("format") == "fhir" else "json")


def _export(request, kind: str):
    """The filtered events, oldest first, up to and including this export's own event, streamed."""
    auditor_required(request)
    chosen = AuditFilterForm(request.GET).chosen()
    own = audit_record(
        action="audit.export", outcome="streamed", request=request, detail={"format": kind, **_detail(chosen)}
    )
    rows = audit_events(chosen=chosen).filter(seq__lte=own.seq).order_by("seq").iterator(chunk_size=1000)
    lines, content_type, extension = EXPORTS[kind]
    response = StreamingHttpResponse(lines(rows), content_type=content_type)
    name = f"audit-{timezone.now():%Y%m%dT%H%M%SZ}{'-fhir' if kind == 'fhir' else ''}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


def _detail(chosen: dict) -> dict:
    return {name: str(value) for name, value in chosen.items()}


def _seq(query, name: str) -> int | None:
    value = query.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response
