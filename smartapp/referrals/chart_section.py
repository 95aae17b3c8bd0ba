"""The chart's "Referrals and follow-up" section: the launch's patient's referrals and discharges on the
launch's EHR connection, with their follow-up states, as the last sync stored them.

Named in settings.CHART_EXTRA_SECTIONS and called by the chart (chart/extra_sections.py), which never
imports referrals. One query on smartapp's own table, on the (connection, patient_ref) index; no EHR call.
Items still to follow up come first, in worklist order; items a person closed, or whose follow-up is
completed or cancelled, are counted and listed collapsed (the newest first).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, IntegerField, Q, Value, When

from . import facts
from .models import CLOSE_REASONS, Referral
from .state import CANCELLED, COMPLETED, NO_SHOW, OVERDUE, WORKLIST_RANK
from .worklist import STATE_LABELS

TEMPLATE = "referrals/_chart_section.html"
LIMIT = 50  # rows read for one patient: still-open ones first, so a long history cannot hide them
DONE_STATES = (COMPLETED, CANCELLED)
URGENT_STATES = (OVERDUE, NO_SHOW)
_CLOSE_LABELS = dict(CLOSE_REASONS)
_FIELDS = (
    "fhir_ref",
    "kind",
    "specialty_display",
    "specialty_code",
    "reason",
    "performer_display",
    "authored_on",
    "due_date",
    "state",
    "state_evidence",
    "state_inferred",
    "snoozed_until",
    "closed_reason",
    "closed_at",
)


@dataclass(frozen=True)
class FollowUpRow:
    label: str  # the specialty referred to, or "After discharge"
    detail: str  # the reason and the performer, when known
    is_discharge: bool
    started_on: date | None  # referred on, or discharged on
    due_date: date | None
    state: str
    state_label: str
    urgent: bool  # overdue or no-show
    days_overdue: int | None
    evidence: str
    inferred: bool
    snoozed_until: date | None  # only when still in the future
    closed_label: str  # why a person closed it; "" otherwise


@dataclass(frozen=True)
class FollowUpSection:
    open: tuple[FollowUpRow, ...]
    closed: tuple[FollowUpRow, ...]
    resource_types: tuple[str, ...]  # of the rows shown: ServiceRequest (referrals), Encounter (discharges)
    template: str = TEMPLATE

    @property
    def shown(self) -> int:
        return len(self.open) + len(self.closed)

    @property
    def synced(self) -> bool:
        """Whether follow-up tracking holds anything for this patient at all."""
        return self.shown > 0


def follow_up_section(*, connection: str, patient_id: str, today: date) -> FollowUpSection:
    """This patient's referrals and discharges from `connection`, as the section shows them."""
    values = list(_patient_referrals(connection, patient_id).values(*_FIELDS)[:LIMIT])
    rows = [(_is_open(v), _row(v, today=today)) for v in values]
    closed = [row for is_open, row in rows if not is_open]
    return FollowUpSection(
        open=tuple(row for is_open, row in rows if is_open),
        closed=tuple(sorted(closed, key=lambda row: row.started_on or date.min, reverse=True)),
        resource_types=tuple(sorted({v["fhir_ref"].partition("/")[0] for v in values})),
    )


def _patient_referrals(connection: str, patient_id: str):
    done = ~Q(closed_reason="") | Q(state__in=DONE_STATES)
    # The stored worklist rank, with what is done last of all.
    rank = Case(
        When(done, then=Value(len(WORKLIST_RANK) + 1)), default=F("state_rank"), output_field=IntegerField()
    )
    return (
        Referral.objects.filter(connection=connection, patient_ref=f"Patient/{patient_id}")
        .annotate(section_rank=rank)
        .order_by(
            "section_rank", F("due_date").asc(nulls_last=True), F("authored_on").desc(nulls_last=True), "pk"
        )
    )


def _is_open(values: dict) -> bool:
    return not values["closed_reason"] and values["state"] not in DONE_STATES


def _row(values: dict, *, today: date) -> FollowUpRow:
    discharge = values["kind"] == facts.DISCHARGE
    specialty = values["specialty_display"] or values["specialty_code"]
    due, state = values["due_date"], values["state"]
    late = due is not None and due < today and state not in DONE_STATES and not values["closed_reason"]
    snoozed = values["snoozed_until"]
    return FollowUpRow(
        label="After discharge" if discharge else (specialty or "Referral"),
        detail=" · ".join(part for part in (values["reason"], values["performer_display"]) if part),
        is_discharge=discharge,
        started_on=values["authored_on"],
        due_date=due,
        state=state,
        state_label=STATE_LABELS.get(state, state),
        urgent=state in URGENT_STATES and _is_open(values),
        days_overdue=(today - due).days if late else None,
        evidence=values["state_evidence"],
        inferred=values["state_inferred"],
        snoozed_until=snoozed if snoozed and snoozed > today else None,
        closed_label=_CLOSE_LABELS.get(values["closed_reason"], ""),
    )
