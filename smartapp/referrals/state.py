"""The follow-up state: a pure function of a referral's facts, its evidence and today. No I/O, no models."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .facts import (
    APPOINTMENT,
    CONSULT_NOTE_LOINC,
    DISCHARGE,
    ENCOUNTER,
    INFERRED,
    NOTE,
    TASK,
    EvidenceFacts,
    ReferralFacts,
)

PENDING, SCHEDULED, COMPLETED, NO_SHOW = "pending", "scheduled", "completed", "no-show"
OVERDUE, DECLINED, CANCELLED = "overdue", "declined", "cancelled"
STATES = (PENDING, SCHEDULED, COMPLETED, NO_SHOW, OVERDUE, DECLINED, CANCELLED)
# The worklist's natural order: what needs a coordinator's call first.
WORKLIST_RANK = {OVERDUE: 0, NO_SHOW: 1, PENDING: 2, DECLINED: 3, SCHEDULED: 4, CANCELLED: 5, COMPLETED: 6}

ATTENDED = frozenset({"fulfilled", "arrived", "checked-in"})
BOOKED = frozenset({"booked", "pending", "proposed"})
_LABELS = {TASK: "Task", APPOINTMENT: "Appointment", ENCOUNTER: "Encounter", NOTE: "Consult note"}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FollowUp:
    """A state, a short reason a person can read (statuses and dates only), and the evidence behind it,
    strongest first. `inferred` when that evidence was matched rather than referenced."""

    state: str
    reason: str
    evidence: tuple[EvidenceFacts, ...] = ()
    inferred: bool = False

    @property
    def summary(self) -> str:
        """The reason, for a worklist column: words and dates a person reads; the evidence's references are
        on the referral's page (timeline.py)."""
        return self.reason


def follow_up(referral: ReferralFacts, evidence: Iterable[EvidenceFacts], *, today: date) -> FollowUp:
    """The follow-up state of `referral` given the `evidence` linked to it. Total: any input gives a state.

    The first rule that holds decides (strongest evidence first):
    1. cancelled  the ServiceRequest (or the discharge Encounter) was entered in error, or the stay was
                  cancelled;
    2. completed  by direct evidence, strongest first: a Task completed; an Encounter finished; an
                  Appointment fulfilled, arrived or checked-in; a consult note by the performer (or a consult
                  note, LOINC 11488-4, not written by the requester); the ServiceRequest itself completed;
    3. cancelled  the ServiceRequest revoked, or the latest Task cancelled;
    4. declined   the latest Task rejected;
    5. completed  by inferred evidence (same patient, performer or specialty, dates), marked inferred;
    6. scheduled  an Appointment booked, pending or proposed for today or later;
    7. no-show    an Appointment noshow with no booked, pending or proposed Appointment after it;
    8. overdue    the due date is before today;
    9. pending    otherwise.
    Evidence entered in error never counts. Explicit statements (rules 3-4) outrank inferred matches, which
    can be wrong. Task.businessStatus is shown but never decides: its values are each vendor's own.
    A completion whose strongest evidence is dated after the due date says so ("late"): a late follow-up
    is still the follow-up.
    """
    items = [e for e in evidence if e.status != "entered-in-error"]
    direct = [e for e in items if e.link != INFERRED]
    return (
        _entered_in_error(referral)
        or _completed(referral, direct, inferred=False)
        or _stopped(referral, direct)
        or _completed(referral, [e for e in items if e.link == INFERRED], inferred=True)
        or _scheduled(items, today)
        or _no_show(items)
        or _by_due_date(referral, today)
    )


def _entered_in_error(referral: ReferralFacts) -> FollowUp | None:
    if referral.request_status == "entered-in-error":
        return FollowUp(CANCELLED, "Entered in error")
    if referral.kind == DISCHARGE and referral.request_status == "cancelled":
        return FollowUp(CANCELLED, "Stay cancelled")
    return None


def _completed(referral: ReferralFacts, items: list[EvidenceFacts], *, inferred: bool) -> FollowUp | None:
    ranked = sorted(
        ((rank, e) for e in items if (rank := _completion_rank(e, referral)) is not None),
        key=lambda pair: (pair[0], _newest_first(pair[1])),
    )
    if ranked:
        strongest = ranked[0][1]
        late = bool(referral.due_date and strongest.date and strongest.date.date() > referral.due_date)
        marks = ", ".join(mark for mark, on in (("inferred", inferred), ("late", late)) if on)
        reason = _label(strongest) + (f" ({marks})" if marks else "")
        return FollowUp(COMPLETED, reason, tuple(e for _, e in ranked), inferred)
    if not inferred and referral.request_status == "completed":
        return FollowUp(COMPLETED, "ServiceRequest completed")
    return None


def _completion_rank(e: EvidenceFacts, referral: ReferralFacts) -> int | None:
    if e.kind == TASK and e.status == "completed":
        return 0
    if e.kind == ENCOUNTER and e.status == "finished":
        return 1
    if e.kind == APPOINTMENT and e.status in ATTENDED:
        return 2
    if e.kind == NOTE and _is_consult(e, referral):
        return 3
    return None


def _is_consult(note: EvidenceFacts, referral: ReferralFacts) -> bool:
    if note.performer_ref and note.performer_ref == referral.performer_ref:
        return True
    by_requester = bool(note.performer_ref) and note.performer_ref == referral.requester_ref
    return note.type_code == CONSULT_NOTE_LOINC and not by_requester


def _stopped(referral: ReferralFacts, direct: list[EvidenceFacts]) -> FollowUp | None:
    if referral.request_status == "revoked":
        return FollowUp(CANCELLED, "ServiceRequest revoked")
    tasks = sorted((e for e in direct if e.kind == TASK), key=_newest_first)
    if tasks and tasks[0].status == "cancelled":
        return FollowUp(CANCELLED, "Task cancelled", (tasks[0],))
    if tasks and tasks[0].status == "rejected":
        return FollowUp(DECLINED, "Task rejected", (tasks[0],))
    return None


def _scheduled(items: list[EvidenceFacts], today: date) -> FollowUp | None:
    upcoming = sorted(
        (e for e in _appointments(items, BOOKED) if e.date and e.date.date() >= today),
        key=lambda e: (e.link == INFERRED, e.date, e.fhir_ref, repr(e)),
    )
    if not upcoming:
        return None
    first = upcoming[0]
    inferred = first.link == INFERRED
    reason = f"Appointment {first.status} for {_day(first.date.date())}" + (" (inferred)" * inferred)
    return FollowUp(SCHEDULED, reason, tuple(upcoming), inferred)


def _no_show(items: list[EvidenceFacts]) -> FollowUp | None:
    missed = sorted(_appointments(items, {"noshow"}), key=_newest_first)
    if not missed:
        return None
    last_missed = missed[0].date or _EARLIEST
    if any((e.date or _EARLIEST) > last_missed for e in _appointments(items, BOOKED)):
        return None  # rebooked after the no-show; whether it happened is not known yet
    inferred = all(e.link == INFERRED for e in missed)
    when = f" on {_day(missed[0].date.date())}" if missed[0].date else ""
    return FollowUp(
        NO_SHOW, f"Appointment noshow{when}" + (" (inferred)" * inferred), tuple(missed), inferred
    )


def _by_due_date(referral: ReferralFacts, today: date) -> FollowUp:
    if referral.due_date is None:
        return FollowUp(PENDING, "No follow-up recorded; no due date")
    state = OVERDUE if referral.due_date < today else PENDING
    return FollowUp(state, f"No follow-up recorded; due {_day(referral.due_date)}")


def _appointments(items: list[EvidenceFacts], statuses) -> list[EvidenceFacts]:
    return [e for e in items if e.kind == APPOINTMENT and e.status in statuses]


def _newest_first(e: EvidenceFacts) -> tuple:
    moment = e.date or _EARLIEST
    # The full repr breaks the last ties, so that the order of the input never changes the outcome.
    return (-(moment - _EARLIEST).total_seconds(), e.link == INFERRED, e.fhir_ref, repr(e))


def _label(e: EvidenceFacts) -> str:
    return _LABELS[e.kind] if e.kind == NOTE else f"{_LABELS.get(e.kind, 'Evidence')} {e.status}"


def _day(day: date) -> str:
    """ "20 Nov 2026": the way the pages write a day (English month abbreviations, whatever the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
