"""The clinician's chart and the patient's own view, for the patient in the launch's context."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from smartapp.chart.mappers import patient_banner
from smartapp.ehr.errors import EhrAuthExpired, EhrError
from smartapp.ehr.scopes import can_read
from smartapp.launch.access import ehr_client_for, launch_for
from smartapp.launch.problems import problem_page

SECTIONS = (
    ("Allergies", "AllergyIntolerance"),
    ("Medications", "MedicationRequest"),
    ("Specialist notes", "DocumentReference"),
)


def _render_for(request, launch_id, *, roles, template):
    launch = launch_for(request, launch_id, roles=roles)
    try:
        patient = ehr_client_for(request, launch).read("Patient", launch.patient_id)
    except EhrAuthExpired:
        return problem_page(request, "relaunch")
    except EhrError as error:
        return problem_page(request, "unavailable" if error.transient else "bad_response")
    context = {
        "launch": launch,
        "banner": patient_banner(patient, today=timezone.localdate()),
        "show_banner": launch.need_patient_banner,
        # What the EHR granted decides what the page offers (instead of 403s later).
        "sections": [(title, can_read(launch.scope, rtype)) for title, rtype in SECTIONS],
    }
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
def clinician_chart(request, launch_id):
    return _render_for(request, launch_id, roles=("clinician",), template="chart/chart.html")


@never_cache
@require_GET
def patient_view(request, launch_id):
    return _render_for(request, launch_id, roles=("patient",), template="chart/me.html")
