"""Referrals (ServiceRequest) and their follow-up: Task, Appointment, consult Encounter and note.

Each referral is built in one follow-up situation (catalog.FOLLOW_UP_STATES):
completed  the specialist saw the patient: Appointment fulfilled, Encounter finished, Task completed;
scheduled  an Appointment is booked in the future;
no-show    the Appointment is in the past with status noshow;
overdue    the due date has passed and nothing is scheduled (Task still requested);
declined   the specialist rejected the Task; the ServiceRequest stays active;
cancelled  the referring clinician revoked the ServiceRequest and cancelled the Task.
"""

from dataclasses import dataclass

from . import catalog
from .chart import Chart
from .elements import concept, ref, resource
from .encounters import encounter
from .notes import note
from .terminology import (
    APPOINTMENT_TYPE,
    PATIENT_REFERRAL,
    REFERRAL_SPECIALTIES,
    SNOMED,
    SPECIALTIES,
    TASK_CODE,
)


@dataclass(frozen=True)
class Plan:
    """The shape of one follow-up situation, in days from the anchor."""

    request_status: str
    task_status: str
    business_status: str
    authored: int
    due: int
    appointment: tuple[str, int] | None = None  # (Appointment.status, day)
    status_reason: str | None = None


PLANS = {
    "completed": Plan("completed", "completed", "Consult completed", -90, -30, ("fulfilled", -65)),
    "scheduled": Plan("active", "accepted", "Appointment booked", -20, 25, ("booked", 10)),
    "no-show": Plan("active", "accepted", "Patient did not attend", -45, 15, ("noshow", -5)),
    "overdue": Plan("active", "requested", "Awaiting scheduling", -75, -15),
    "declined": Plan(
        "active",
        "rejected",
        "Declined by specialist",
        -30,
        30,
        status_reason="Outside the clinic's scope; please refer to a general clinic.",
    ),
    "cancelled": Plan(
        "revoked",
        "cancelled",
        "Cancelled by referring clinician",
        -50,
        10,
        status_reason="Symptoms resolved; referral no longer needed.",
    ),
}
ROUTINE_REFERRAL_CHANCE = 0.7


def referrals_for(chart: Chart) -> list[dict]:
    """The patient's referrals: one per follow-up situation for the referral patient, else 0-2."""
    if chart.patient_id == catalog.REFERRAL_PATIENT_ID:
        out = []
        for number, state in enumerate(catalog.FOLLOW_UP_STATES):
            specialty = REFERRAL_SPECIALTIES[number % len(REFERRAL_SPECIALTIES)]
            sr_id = catalog.FOLLOW_UP_REFERRAL_IDS[state]
            out += referral(chart, state, specialty, sr_id=sr_id, period=number % 2 == 0, consult_note=True)
        return out
    rng = chart.rng
    if rng.random() > ROUTINE_REFERRAL_CHANCE:
        return []
    out = []
    for _ in range(rng.randint(1, 2)):
        state, specialty = rng.choice(catalog.FOLLOW_UP_STATES), rng.choice(REFERRAL_SPECIALTIES)
        out += referral(chart, state, specialty, period=rng.random() < 0.5, consult_note=rng.random() < 0.5)
    return out


def referral(chart: Chart, state: str, specialty: str, **options) -> list[dict]:
    """A ServiceRequest in follow-up situation `state`, with its Task and whatever followed.

    Options: sr_id, period (the due date as occurrencePeriod.end rather than occurrenceDateTime),
    consult_note (for a completed referral, add the specialist's consult note).
    """
    plan = PLANS[state]
    sr_id = options.get("sr_id") or chart.next_id("sr")
    suffix = sr_id.removeprefix("sr-")
    specialist = catalog.SPECIALIST_IDS[specialty]
    out = [_service_request(chart, sr_id, plan, specialty, options.get("period", False))]
    out.append(_task(chart, f"task-{suffix}", sr_id, plan, specialist))
    if plan.appointment:
        out.append(_appointment(chart, f"appt-{suffix}", sr_id, plan.appointment, specialty))
    if state == "completed":
        day = plan.appointment[1]
        encounter_id = chart.next_id("enc")
        out.append(
            encounter(
                chart, encounter_id, "AMB", day, type="consult", practitioner=specialist, referral=sr_id
            )
        )
        if options.get("consult_note"):
            out += note(
                chart,
                specialty,
                "consult",
                day,
                encounter=encounter_id,
                referral=sr_id,
                kind=chart.rng.choice(("text", "html", "pdf")),
            )
    return out


def _service_request(chart: Chart, sr_id: str, plan: Plan, specialty: str, period: bool) -> dict:
    code, display = SPECIALTIES[specialty].referral
    category_code, category_display = PATIENT_REFERRAL
    body = resource(
        "ServiceRequest",
        sr_id,
        status=plan.request_status,
        intent="order",
        category=[concept(SNOMED, category_code, category_display)],
        priority="routine",
        code=concept(SNOMED, code, display),
        subject=chart.subject,
    )
    if period:
        body["occurrencePeriod"] = {
            "start": chart.clock.date(plan.authored),
            "end": chart.clock.date(plan.due),
        }
    else:
        body["occurrenceDateTime"] = chart.clock.date(plan.due)
    body.update(
        authoredOn=chart.clock.instant(plan.authored, hour=10),
        requester=ref("Practitioner", chart.pcp_id),
        performer=[ref("Practitioner", catalog.SPECIALIST_IDS[specialty])],
    )
    return body


def _task(chart: Chart, task_id: str, sr_id: str, plan: Plan, specialist: str) -> dict:
    body = resource("Task", task_id, basedOn=[ref("ServiceRequest", sr_id)], status=plan.task_status)
    if plan.status_reason:
        body["statusReason"] = {"text": plan.status_reason}
    changed = plan.appointment[1] if plan.appointment else plan.authored + 3
    body.update(
        businessStatus={"text": plan.business_status},
        intent="order",
        code=concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
        focus=ref("ServiceRequest", sr_id),
        **{"for": chart.subject},
        authoredOn=chart.clock.instant(plan.authored, hour=10),
        lastModified=chart.clock.instant(min(changed, 0), hour=12),
        requester=ref("Practitioner", chart.pcp_id),
        owner=ref("Practitioner", specialist),
    )
    return body


def _appointment(chart: Chart, appointment_id: str, sr_id: str, status_day: tuple, specialty: str) -> dict:
    status, day = status_day
    setting_code, setting_display = SPECIALTIES[specialty].practice_setting
    specialist = catalog.SPECIALIST_IDS[specialty]
    return resource(
        "Appointment",
        appointment_id,
        status=status,
        specialty=[concept(SNOMED, setting_code, setting_display)],
        appointmentType=concept(APPOINTMENT_TYPE, "ROUTINE", "Routine appointment - default if not valued"),
        description=f"{SPECIALTIES[specialty].name} consultation",
        start=chart.clock.instant(day, hour=10, minute=30),
        end=chart.clock.instant(day, hour=11),
        created=chart.clock.instant(min(day - 7, 0), hour=9),
        basedOn=[ref("ServiceRequest", sr_id)],
        participant=[
            {"actor": chart.subject, "status": "accepted"},
            {"actor": ref("Practitioner", specialist), "status": "accepted"},
        ],
    )
