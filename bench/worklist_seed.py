"""Worklist rows for the benchmark, written straight to the database with bulk_create: no EHR, no sync.

The mix is what a connection looks like some months after its first sync of decades of records: most items
closed as before tracking began (the horizon closed them), some closed by a person, the rest open in every
state, a share of those owned by a few coordinators, snoozed, given a next-action date or an outreach note.
Every row has the patient's MRN, date of birth and phone, and names for requester and performer.
Deterministic for a count and a day.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

BATCH = 2000
CONNECTION = "sandbox"
ISSUER = "bench"
BEFORE_TRACKING_SHARE = 0.78
PERSON_CLOSED_SHARE = 0.07  # the rest (15%) is open
OPEN_STATES = {
    "overdue": 25,
    "no-show": 10,
    "pending": 20,
    "declined": 5,
    "scheduled": 25,
    "cancelled": 5,
    "completed": 10,
}
PERSON_REASONS = ("reached", "declined", "care_elsewhere", "deceased", "duplicate", "other")
COORDINATORS = ("Avery Coordinator", "Bernard Coordinator", "Camila Coordinator", "Desmond Coordinator")
FEW_ROWS = 10  # open items owned by one more coordinator: the "10-row page" of the query-count check
OWNED_SHARE, SNOOZED_SHARE, EXPIRED_SNOOZE_SHARE = 0.6, 0.1, 0.03
NEXT_ACTION_SHARE, OUTREACH_SHARE = 0.3, 0.2
TRACKING_DAYS = 180  # open items are authored within it; the rest up to HISTORY_YEARS back
HISTORY_YEARS = 40
SPECIALTIES = (
    ("394579002", "Cardiology"),
    ("394583002", "Endocrinology"),
    ("394589003", "Nephrology"),
    ("418112009", "Pulmonology"),
    ("394584008", "Gastroenterology"),
    ("394591006", "Neurology"),
)
PERFORMERS = tuple((f"Practitioner/pr-bench-{n}", f"Dr Specialist {n}") for n in range(1, 9))
REQUESTERS = tuple((f"Practitioner/pr-pcp-{n}", f"Dr Primary {n}") for n in range(1, 5))


@dataclass
class Seeded:
    """What the benchmark needs to know about the rows it wrote."""

    count: int
    me: int  # the signed-in coordinator's user id (one of the owners: "mine")
    me_launch: str  # their coordinator launch (a UUID), for the session
    few: int  # the coordinator who owns exactly FEW_ROWS open items
    coordinators: list[int]
    by_status: dict[str, int] = field(default_factory=dict)
    outreach_notes: int = 0


def seed_worklist(count: int, *, today: date, seed: int = 1) -> Seeded:
    """`count` referrals of CONNECTION (plus their coordinators and outreach notes)."""
    from smartapp.referrals.models import Referral

    rng = random.Random(f"{seed}:{count}")  # noqa: S311 - benchmark data, not security
    users, launch = _coordinators()
    seeded = Seeded(count=count, me=users[0], me_launch=str(launch), few=users[-1], coordinators=users)
    owners = users[:-1]
    few_left = FEW_ROWS
    noted: list[tuple[object, int]] = []  # (referral, author): its pk is set once bulk_create wrote it
    batch: list[Referral] = []
    for n in range(count):
        row, status = _referral(n, rng, today=today, owners=owners)
        if status == "open" and row.snoozed_until is None and few_left:
            row.owner_id, few_left = seeded.few, few_left - 1
        seeded.by_status[status] = seeded.by_status.get(status, 0) + 1
        if status != "before tracking" and rng.random() < OUTREACH_SHARE:
            noted.append((row, rng.choice(owners)))
        batch.append(row)
        if len(batch) == BATCH:
            Referral.objects.bulk_create(batch)
            batch = []
    Referral.objects.bulk_create(batch)
    seeded.outreach_notes = _outreach(noted, rng)
    return seeded


def _referral(n: int, rng: random.Random, *, today: date, owners: list[int]):
    from smartapp.referrals.models import BEFORE_TRACKING, Referral, rank_of

    draw = rng.random()
    status = (
        "before tracking"
        if draw < BEFORE_TRACKING_SHARE
        else "closed"
        if draw < BEFORE_TRACKING_SHARE + PERSON_CLOSED_SHARE
        else "open"
    )
    old = status == "before tracking"
    authored = today - timedelta(
        days=rng.randint(TRACKING_DAYS + 1, HISTORY_YEARS * 365) if old else rng.randint(0, TRACKING_DAYS)
    )
    discharge = rng.random() < 0.3
    specialty, performer, requester = rng.choice(SPECIALTIES), rng.choice(PERFORMERS), rng.choice(REQUESTERS)
    patient = n // 3 + 1
    state = rng.choices(list(OPEN_STATES), list(OPEN_STATES.values()))[0]
    if old:
        state = rng.choice(("overdue", "completed", "completed", "cancelled"))
    row = Referral(
        connection=CONNECTION,
        fhir_ref=f"Encounter/enc-bench-{n}" if discharge else f"ServiceRequest/sr-bench-{n}",
        kind="discharge" if discharge else "referral",
        patient_ref=f"Patient/bench-{patient:06d}",
        patient_display=f"Patient Bench{patient:06d}",
        patient_mrn=f"MRN{patient:08d}",
        patient_birth_date=date(1930, 1, 1) + timedelta(days=rng.randint(0, 80 * 365)),
        patient_phone=f"555-01{patient % 100:02d}",
        requester_ref=requester[0],
        requester_display=requester[1],
        performer_ref="" if discharge else performer[0],
        performer_display="" if discharge else performer[1],
        specialty_code="" if discharge else specialty[0],
        specialty_display="" if discharge else specialty[1],
        reason="Heart failure" if discharge else "Chest pain",
        authored_on=authored,
        due_date=authored + timedelta(days=7 if discharge else 30),
        request_status="finished" if discharge else "active",
        state=state,
        state_rank=rank_of(state),  # bulk_create skips Referral.save, which keeps it otherwise
        state_evidence="No follow-up found" if state == "overdue" else f"{state} evidence",
        follow_up_rule="discharge-default" if discharge else "",
    )
    if old:
        row.closed_reason = BEFORE_TRACKING
        row.closed_at = _moment(today - timedelta(days=TRACKING_DAYS))
    elif status == "closed":
        _person_closed(row, rng, today=today, owners=owners)
    else:
        _open_work(row, rng, today=today, owners=owners)
    return row, status


def _person_closed(row, rng: random.Random, *, today: date, owners: list[int]) -> None:
    row.closed_reason = rng.choice(PERSON_REASONS)
    row.closed_note = "Moved out of the area" if row.closed_reason == "other" else ""
    row.closed_by_id = rng.choice(owners)
    row.closed_at = _moment(today - timedelta(days=rng.randint(0, TRACKING_DAYS)))
    row.owner_id = row.closed_by_id if rng.random() < OWNED_SHARE else None


def _open_work(row, rng: random.Random, *, today: date, owners: list[int]) -> None:
    row.owner_id = rng.choice(owners) if rng.random() < OWNED_SHARE else None
    draw = rng.random()
    if draw < SNOOZED_SHARE:
        row.snoozed_until = today + timedelta(days=rng.randint(1, 60))
    elif draw < SNOOZED_SHARE + EXPIRED_SNOOZE_SHARE:
        row.snoozed_until = today - timedelta(days=rng.randint(0, 30))  # back on the open list
    if rng.random() < NEXT_ACTION_SHARE:
        row.next_action_on = today + timedelta(days=rng.randint(-10, 30))


def _outreach(noted: list[tuple[object, int]], rng: random.Random) -> int:
    from smartapp.referrals.models import OutreachNote

    notes = [
        OutreachNote(
            referral_id=row.pk,  # set by bulk_create (PostgreSQL, and SQLite from 3.35)
            author_id=author,
            text="Left a voicemail" if k else "Called, no answer",
            contacted=k == 2,
            idempotency_key=f"bench-note-{row.pk:09d}-{k}",
        )
        for row, author in noted
        for k in range(rng.randint(1, 3))
    ]
    OutreachNote.objects.bulk_create(notes, batch_size=BATCH)
    return len(notes)


def _coordinators() -> tuple[list[int], object]:
    """The coordinators (users with a named EHR identity and a coordinator launch each) and the first one's
    launch: the care team the owner column and the "assign to" list name."""
    from django.contrib.auth import get_user_model

    from smartapp.launch.models import Identity, Launch

    names = [*COORDINATORS, "Edith Fewrows"]
    users, launches = [], []
    for number, name in enumerate(names, start=1):
        user = get_user_model().objects.create_user(username=f"bench-coordinator-{number}")
        fhir_user = f"Practitioner/pr-coord-{number}"
        Identity.objects.create(
            user=user, issuer=ISSUER, sub=f"coord-{number}", fhir_user=fhir_user, display_name=name
        )
        launch = Launch.objects.create(
            user=user, config_name=CONNECTION, issuer=ISSUER, persona="coordinator", fhir_user=fhir_user
        )
        users.append(user.pk)
        launches.append(launch.pk)
    return users, launches[0]


def _moment(day: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(9)))
