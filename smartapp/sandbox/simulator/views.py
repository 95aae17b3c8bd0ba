"""The EHR launch simulator: the launcher page and the launch endpoint."""

from itertools import groupby
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from smartapp.sandbox import faults
from smartapp.sandbox.base_url import fhir_base, vendor_fhir_base
from smartapp.sandbox.form_token import form_token_required
from smartapp.sandbox.middleware import sign_in
from smartapp.sandbox.models import Fault
from smartapp.sandbox.simulator import directory, ward
from smartapp.sandbox.simulator.forms import LaunchForm
from smartapp.sandbox.simulator.launches import app_launch_url, create_launch
from smartapp.sandbox.vendors import VENDORS, oracle

SEED_COMMAND = "python manage.py seed_sandbox"


@require_GET
def simulator(request):
    """The launcher: choose a user, a patient, an encounter and an app, then launch it."""
    patients, ehr_users = directory.patients(), directory.ehr_users()
    chosen = request.GET
    iss = fhir_base(request)
    app_url = chosen.get("app") or directory.default_launch_url()
    context = {
        "iss": iss,
        "smart_configuration_url": f"{iss}/.well-known/smart-configuration",
        "ehr_users": ehr_users,
        "patients": patients,
        # Until a patient is chosen (or "no patient" is), the first patient's chart is open.
        "chosen_patient": chosen.get("patient", patients[0].fhir_id if patients else ""),
        "encounter_groups": _encounter_groups(patients, chosen.get("patient", "")),
        "chosen": chosen,
        "app_url": app_url,
        "example_launch": _example_launch(ehr_users, patients, app_url),
        "need_patient_banner": chosen.get("need_patient_banner", "1") != "0",
        "clients": _clients(),
        "faults": Fault.objects.order_by("-id"),
        "fault_kinds": sorted(faults.KINDS),
        "signed_in": getattr(request.user, "sandbox", None),
        "seed_command": SEED_COMMAND,
        "vendors": VENDORS,
        "default_tenant": oracle.DEFAULT_TENANT,
        **ward.ward_context(request),
    }
    response = render(request, "sandbox/simulator/simulator.html", context)
    ward.forget_outcome(request, response)  # the ward's outcome is shown once
    return response


@form_token_required  # not Django's CSRF token: smartapp's sign-in rotates that one (form_token.py)
@require_http_methods(["GET", "POST"])
def launch(request):
    """Sign the chosen user in to the sandbox and open the app with `iss` and `launch` (EHR launch)."""
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and not data:
        return redirect("sandbox-simulator")
    form = LaunchForm(data)
    if not form.is_valid():
        return _launch_refused(request, form)
    chosen = form.cleaned_data
    context = create_launch(
        chosen["user"].user,
        app_url=chosen["app"],
        patient_id=chosen["patient"],
        encounter_id=chosen["encounter"],
        need_patient_banner=chosen["need_patient_banner"],
        smart_style_url=chosen["smart_style_url"],
    )
    # The `iss` is the chosen vendor emulation's FHIR base (docs/sandbox.md, "Vendor emulation").
    iss = vendor_fhir_base(request, chosen["vendor"], chosen["tenant"])
    response = redirect(app_launch_url(chosen["app"], iss=iss, launch=context.launch))
    sign_in(response, chosen["user"].user)
    return response


def _launch_refused(request, form):
    messages = [message for errors in form.errors.values() for message in errors]
    context = {
        "title": "Launch refused",
        "problems": messages,
        "seeded": directory.has_directory(),
        "seed_command": SEED_COMMAND,
    }
    return render(request, "sandbox/simulator/refused.html", context, status=400)


def _example_launch(ehr_users, patients, app_url: str) -> str:
    """A ready-made GET /sandbox/launch/ URL, to show launching without a click."""
    if not ehr_users:
        return ""
    params = {
        "user": ehr_users[0].fhir_id,
        "patient": patients[0].fhir_id if patients else "",
        "app": app_url,
    }
    return f"{reverse('sandbox-launch')}?{urlencode(params)}"


def _encounter_groups(patients, patient_id: str) -> list[tuple[str, list]]:
    """Encounters grouped under their patient's name, for the encounter select's optgroups."""
    names = {p.fhir_id: p.name for p in patients}
    rows = directory.encounters(patient_id)
    return [(names.get(pid, pid), list(group)) for pid, group in groupby(rows, key=lambda e: e.patient_id)]


def _clients() -> list[tuple]:
    launch_urls = directory.launch_urls()
    return [(client, launch_urls.get(client.pk, "")) for client in directory.registered_clients()]
