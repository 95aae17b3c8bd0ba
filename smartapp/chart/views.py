"""The clinician's chart and the patient's own view, for the patient in the launch's context."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from smartapp.chart import saved_filters, sections
from smartapp.chart.extra_sections import extra_sections
from smartapp.chart.forms import NoteFilterForm
from smartapp.chart.mappers import patient_banner
from smartapp.chart.presenter import chart_rows, patient_rows, style_variables
from smartapp.chart.reuse import keep_chart, reused_chart
from smartapp.core.roles import requires_role
from smartapp.ehr.errors import EhrError
from smartapp.ehr.style import smart_style
from smartapp.launch.access import audited_client, launch_for
from smartapp.launch.embedding import embeddable
from smartapp.launch.events import audit_launch_event
from smartapp.launch.problems import problem_page, reason_for


def _fetch(request, launch):
    """(patient, sections): reused from a view in the last minute, else fetched from the EHR at once."""
    if reused := reused_chart(launch):
        audit_launch_event(request, launch, action="chart.view", outcome="reused")
        return reused
    with audited_client(request, launch) as client:
        patient, found = sections.fetch_chart(
            client,
            patient_id=launch.patient_id,
            queries=sections.chart_queries(
                launch.patient_id, rules=sections.vendor_rules(launch.config_name)
            ),
            granted_scope=launch.scope,
        )
    keep_chart(launch, patient, found)
    return patient, found


def _extras(request, launch) -> list:
    """The sections other modules add (extra_sections.py), each audited: they show this patient's records
    from smartapp's own tables, which no EHR request (audited by the client) covers."""
    if not launch.patient_id:
        return []
    found = extra_sections(
        connection=launch.config_name, patient_id=launch.patient_id, today=timezone.localdate()
    )
    for section in found:
        shown = {} if section.failed else {"records": section.data.shown}
        audit_launch_event(
            request,
            launch,
            action="chart.section",
            outcome="failed" if section.failed else "viewed",
            resource_types=() if section.failed else section.data.resource_types,
            detail={"section": section.key, **shown},
        )
    return found


def _filtered_for(request, launch_id, *, roles, template, rows, extras=False):
    """The chart or the patient's view, filtered by the saved filter its URL names. A filter POST is saved
    and answered with a 303 to that URL (POST-redirect-GET: Back never resubmits; saved_filters.py)."""
    launch = launch_for(request, launch_id, roles=roles)
    key = str(launch.pk)
    if request.method == "POST":
        filter_id = saved_filters.filter_save(request, launch_id=key, data=request.POST)
        response = HttpResponseRedirect(f"{request.path}?{saved_filters.PARAM}={filter_id}#notes", status=303)
        response["Cache-Control"] = "no-store"
        return response
    note_filter = saved_filters.filter_form(request, launch_id=key)
    return _render_for(request, launch, template=template, rows=rows, note_filter=note_filter, extras=extras)


def _render_for(request, launch, *, template, rows, note_filter, extras=False):
    try:
        patient, found = _fetch(request, launch)
    except EhrError as error:
        return problem_page(request, reason_for(error))
    context = {
        "launch": launch,
        "note_filter": note_filter,
        # None when the Patient could not be read: the template warns in place of the banner.
        "banner": patient_banner(patient, today=timezone.localdate()) if patient else None,
        "show_banner": launch.need_patient_banner,
        "style_vars": style_variables(smart_style(launch.smart_style_url)),
        **rows(found, note_filter.criteria() if note_filter.is_bound else None),
        "extra_sections": _extras(request, launch) if extras else [],
    }
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@requires_role("clinician")
@embeddable
@never_cache
@require_http_methods(["GET", "POST"])  # POST: the notes filter (search words stay out of URLs)
def clinician_chart(request, launch_id):
    return _filtered_for(
        request, launch_id, roles=("clinician",), template="chart/chart.html", rows=chart_rows, extras=True
    )


@requires_role("patient")
@embeddable
@never_cache
@require_http_methods(["GET", "POST"])
def patient_view(request, launch_id):
    return _filtered_for(request, launch_id, roles=("patient",), template="chart/me.html", rows=patient_rows)


@requires_role("clinician")
@embeddable
@never_cache
@require_GET
def print_chart(request, launch_id):
    launch = launch_for(request, launch_id, roles=("clinician",))
    return _render_for(
        request, launch, template="chart/print.html", rows=chart_rows, note_filter=NoteFilterForm()
    )
