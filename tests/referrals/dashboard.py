"""Rows and signed-in browsers for the dashboard tests, without an EHR: a Launch row and a session holding it
stand for a completed launch (the launch itself is tested end to end in tests/launch/)."""

import itertools
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.models import Identity, Launch
from smartapp.referrals.models import Evidence, OutreachNote, Referral

_numbers = itertools.count(1)
ISSUER = "http://127.0.0.1:9/fhir"


def signed_in(client, *, persona: str = "coordinator", connection: str = "sandbox", patient_id: str = ""):
    """Sign `client` in as a new user with one open launch of `persona` from `connection`."""
    n = next(_numbers)
    user = get_user_model().objects.create_user(username=f"ehr-user-{n}")
    launch = Launch.objects.create(
        user=user,
        config_name=connection,
        issuer=ISSUER,
        persona=persona,
        fhir_user=f"Practitioner/pr-{n}" if persona != "patient" else f"Patient/{patient_id or 'p-1'}",
        patient_id=patient_id,
    )
    add_launch(client, user, launch)
    return launch


def add_launch(client, user, launch: Launch) -> None:
    client.force_login(user)
    session = client.session
    session[SESSION_LAUNCHES] = [*session.get(SESSION_LAUNCHES, []), str(launch.pk)]
    session.save()


def clinician_launch_for(client, coordinator: Launch, *, patient_id: str) -> Launch:
    """The same person (same user) also launched from the EHR as a clinician for `patient_id`."""
    launch = Launch.objects.create(
        user=coordinator.user,
        config_name=coordinator.config_name,
        issuer=ISSUER,
        persona="clinician",
        fhir_user=coordinator.fhir_user,
        patient_id=patient_id,
    )
    add_launch(client, coordinator.user, launch)
    return launch


def referral(*, state: str = "pending", due_in_days: int | None = 10, connection: str = "sandbox", **fields):
    """A stored Referral with a due date relative to today."""
    n = next(_numbers)
    today = timezone.localdate()
    values = {
        "connection": connection,
        "fhir_ref": f"ServiceRequest/sr-{n}",
        "patient_ref": f"Patient/p-{n}",
        "patient_display": f"Patient Number{n}",
        "specialty_code": "394579002",
        "specialty_display": "Cardiology",
        "performer_ref": "Practitioner/spec-1",
        "requester_ref": "Practitioner/pcp-1",
        "reason": "Chest pain",
        "authored_on": today - timedelta(days=30),
        "due_date": None if due_in_days is None else today + timedelta(days=due_in_days),
        "state": state,
        "state_evidence": f"Due {today}" if state in ("pending", "overdue") else f"{state} evidence",
        **fields,
    }
    return Referral.objects.create(**values)


def evidence(row: Referral, *, kind: str = "appointment", link: str = "based_on", **fields) -> Evidence:
    n = next(_numbers)
    values = {
        "connection": row.connection,
        "referral": row,
        "target_ref": row.fhir_ref,
        "kind": kind,
        "fhir_ref": f"{kind.capitalize()}/e-{n}",
        "link": link,
        "status": "booked",
        "patient_ref": row.patient_ref,
        **fields,
    }
    return Evidence.objects.create(**values)


def outreach(row: Referral, *, contacted: bool = False, text: str = "left a message", author=None):
    return OutreachNote.objects.create(
        referral=row,
        author=author,
        text=text,
        contacted=contacted,
        idempotency_key=f"key-{next(_numbers):016d}",
    )


def day(offset: int) -> date:
    return timezone.localdate() + timedelta(days=offset)


def identity(user, *, fhir_user: str, name: str = "") -> Identity:
    """The user's EHR identity, as a sign-in records it (with the name when the launch app keeps names)."""
    names = {"display_name": name} if _identities_have_names() else {}
    return Identity.objects.create(
        user=user, issuer=ISSUER, sub=f"sub-{next(_numbers)}", fhir_user=fhir_user, **names
    )


def _identities_have_names() -> bool:
    return any(field.name == "display_name" for field in Identity._meta.get_fields())


def colleague(*, connection: str = "sandbox"):
    """Another coordinator who once signed in on `connection` (in another browser): someone to assign to."""
    n = next(_numbers)
    user = get_user_model().objects.create_user(username=f"ehr-colleague-{n}")
    Launch.objects.create(
        user=user,
        config_name=connection,
        issuer=ISSUER,
        persona="coordinator",
        fhir_user=f"Practitioner/co-{n}",
    )
    return user
