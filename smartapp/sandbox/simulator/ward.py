"""The launcher page's hospital ward: admit a patient, discharge an in-progress stay, and let the sandbox's
ADT feed (smartapp/sandbox/adt/feed.py) announce it to smartapp's listener, as an interface engine would.

What became of the message reaches the next view of the page in a short-lived signed cookie on /sandbox/
(event, encounter id, MSA-1, a fixed reason): nothing about the patient goes into a URL, the name is read
from the store when the page is drawn, and the cookie is dropped once shown.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smartapp.sandbox.adt.feed import FeedOutcome, encounter_admit, encounter_discharge
from smartapp.sandbox.adt.stays import INPATIENT, StayError
from smartapp.sandbox.form_token import form_token_required
from smartapp.sandbox.models import Resource
from smartapp.sandbox.simulator.directory import human_name
from smartapp.sandbox.simulator.forms import AdmitForm, DischargeForm
from smartapp.sandbox.synthetic.terminology import VISIT_SYSTEM

COOKIE = "sandbox_ward"
PATH = "/sandbox/"
MAX_AGE = 300  # seconds: long enough for the redirect, short enough that an old outcome is never shown
PAGE = "/sandbox/#ward"
_SALT = "smartapp.sandbox.ward"
_NO_LISTENER = {"unreachable", "no_ack", "send_failed"}
_UNDELIVERED = "{what}, but the ADT message ({event}) was not delivered: {reason}"


@dataclass(frozen=True)
class Stay:
    """An in-progress inpatient Encounter, as the ward lists it."""

    encounter_id: str
    patient_name: str
    started: str
    visit_number: str


@dataclass(frozen=True)
class Notice:
    """The outcome of the last ward action, in words; `ok` when the listener accepted the message."""

    text: str
    ok: bool


def ward_context(request) -> dict:
    """The template context of the page's "Hospital ward (ADT feed)" section."""
    return {
        "ward_enabled": settings.SANDBOX_ADT_ENABLED,
        "ward_target": settings.SANDBOX_ADT_TARGET,
        "ward_stays": in_progress_stays(),
        "ward_notice": _notice(_outcome_from_cookie(request)),
    }


def forget_outcome(request, response) -> None:
    """Drop the outcome cookie once the page has shown it."""
    if COOKIE in request.COOKIES:
        response.delete_cookie(COOKIE, path=PATH)


def in_progress_stays() -> list[Stay]:
    """Every in-progress inpatient Encounter, newest first, with its patient's name."""
    rows = Resource.objects.filter(resource_type="Encounter", status="in-progress").order_by("-date", "-id")
    encounters = [row.body for row in rows if (row.body.get("class") or {}).get("code") == INPATIENT]
    names = _patient_names({_patient_id(body) for body in encounters})
    return [_stay(body, names) for body in encounters]


@form_token_required  # the sandbox's own token, not Django's (form_token.py)
@require_POST
def admit(request):
    """POST patient: open an inpatient stay for the patient and send its A01."""
    form = AdmitForm(request.POST)
    if refused := _refused(request, form):
        return refused
    outcome = encounter_admit(patient_id=form.cleaned_data["patient"])
    return _back_to_page(request, _outcome_fields("A01", outcome))


@form_token_required
@require_POST
def discharge(request):
    """POST encounter: end the in-progress inpatient stay and send its A03."""
    form = DischargeForm(request.POST)
    if refused := _refused(request, form):
        return refused
    encounter_id = form.cleaned_data["encounter"]
    try:
        outcome = encounter_discharge(encounter_id=encounter_id)
    except StayError:  # ended already (a second click, another tab) or never a stay: nothing was sent
        return _back_to_page(request, {"event": "A03", "encounter": encounter_id, "error": "not_in_progress"})
    return _back_to_page(request, _outcome_fields("A03", outcome))


def _refused(request, form):
    if not settings.SANDBOX_ADT_ENABLED:
        problems = ["The sandbox's ADT feed is off (SANDBOX_ADT_ENABLED=false), and the ward with it."]
    elif not form.is_valid():
        problems = [message for errors in form.errors.values() for message in errors]
    else:
        return None
    context = {"title": "Ward action refused", "problems": problems}
    return render(request, "sandbox/simulator/refused.html", context, status=400)


def _outcome_fields(event: str, outcome: FeedOutcome) -> dict:
    acks = [delivery.ack_code for delivery in outcome.deliveries]
    return {
        "event": event,
        "encounter": outcome.encounter_id,
        "ack": acks[0] if acks and not outcome.error else "",
        "error": outcome.error,
    }


def _back_to_page(request, fields: dict):
    response = redirect(PAGE)
    response.set_cookie(
        COOKIE,
        signing.dumps(fields, salt=_SALT),
        max_age=MAX_AGE,
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _outcome_from_cookie(request) -> dict | None:
    try:
        fields = signing.loads(request.COOKIES.get(COOKIE, ""), salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return fields if isinstance(fields, dict) else None


def _notice(fields: dict | None) -> Notice | None:
    if not fields:
        return None
    event, error, ack = fields.get("event", ""), fields.get("error", ""), fields.get("ack", "")
    name = _name_of_encounter_patient(fields.get("encounter", ""))
    if error == "not_in_progress":
        return Notice(f"{name}'s stay is not in progress any more: nothing was changed or sent.", ok=False)
    what = f"{name}'s stay was opened" if event == "A01" else f"{name}'s encounter ended"
    if error == "feed_disabled":
        return Notice(f"{what}; the ADT feed is off, so no message was sent.", ok=False)
    if error:
        reason = f"{error} (is `manage.py adt_listen` running?)" if error in _NO_LISTENER else error
        return Notice(_UNDELIVERED.format(what=what, event=event, reason=reason), ok=False)
    if ack in ("AA", "CA"):
        return Notice(f"Sent {event} for {name}: acknowledged ({ack}).", ok=True)
    return Notice(f"Sent {event} for {name}: not accepted ({ack}); the listener's log says why.", ok=False)


def _name_of_encounter_patient(encounter_id: str) -> str:
    row = Resource.objects.filter(resource_type="Encounter", fhir_id=encounter_id).only("patient_id").first()
    patient_id = row.patient_id if row else ""
    return _patient_names({patient_id}).get(patient_id) or "The patient"


def _patient_names(patient_ids: set[str]) -> dict[str, str]:
    rows = Resource.objects.filter(resource_type="Patient", fhir_id__in=patient_ids)
    return {row.fhir_id: human_name(row.body.get("name")) or f"Patient/{row.fhir_id}" for row in rows}


def _patient_id(encounter: dict) -> str:
    return (encounter.get("subject") or {}).get("reference", "").removeprefix("Patient/")


def _stay(encounter: dict, names: dict[str, str]) -> Stay:
    patient_id = _patient_id(encounter)
    identifiers = [i for i in encounter.get("identifier") or [] if isinstance(i, dict)]
    visit = next((i.get("value", "") for i in identifiers if i.get("system") == VISIT_SYSTEM), "")
    started = ((encounter.get("period") or {}).get("start") or "")[:16].replace("T", " ")
    return Stay(encounter["id"], names.get(patient_id, f"Patient/{patient_id}"), started, visit)
