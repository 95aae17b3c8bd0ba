"""The coordinator's worklist: one query for a page of rows, whatever the page size.

The state, its evidence summary and the last evidence date are columns of Referral (kept by the store);
the last outreach comes from correlated subqueries on the (referral, -created_at) index. Nothing is read
per row.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, QuerySet, Subquery

from .models import OutreachNote, Referral
from .selectors import referrals_in_worklist_order
from .state import CANCELLED, COMPLETED

_SORT_COLUMNS = {
    "due": "due_date",
    "authored": "authored_on",
    "evidence": "last_evidence_at",
    "specialty": "specialty_display",
}
_FILTER_COLUMNS = {
    "state": "state",
    "kind": "kind",
    "specialty": "specialty_code",
    "performer": "performer_ref",
}
ROW_FIELDS = (
    "pk",
    "connection",
    "fhir_ref",
    "kind",
    "patient_ref",
    "patient_display",
    "specialty_code",
    "specialty_display",
    "reason",
    "performer_ref",
    "authored_on",
    "due_date",
    "state",
    "state_evidence",
    "state_inferred",
    "last_evidence_at",
    "last_outreach_at",
    "last_outreach_contacted",
)
NOT_DUE = (COMPLETED, CANCELLED)  # states in which a passed due date no longer matters
STATE_LABELS = {
    "overdue": "Overdue",
    "no-show": "No-show",
    "pending": "Pending",
    "declined": "Declined",
    "scheduled": "Scheduled",
    "cancelled": "Cancelled",
    "completed": "Completed",
}


@dataclass(frozen=True)
class WorklistRow:
    pk: int
    connection: str
    fhir_ref: str
    kind: str
    patient_ref: str
    patient_display: str
    specialty_code: str
    specialty_display: str
    reason: str
    performer_ref: str
    authored_on: date | None
    due_date: date | None
    state: str
    state_evidence: str
    state_inferred: bool
    last_evidence_at: datetime | None
    last_outreach_at: datetime | None
    last_outreach_contacted: bool | None
    days_overdue: int | None

    @property
    def patient_id(self) -> str:
        return self.patient_ref.partition("/")[2] or self.patient_ref

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


def worklist_referrals(*, connections: Iterable[str], chosen: dict[str, str]) -> QuerySet:
    """Referrals of `connections` matching the `chosen` filters (WorklistFilterForm.chosen), in worklist
    order (state.WORKLIST_RANK, then the chosen column, oldest due date first by default), as row values."""
    query = _filtered(connections, chosen)
    sort = chosen.get("sort", "due")
    column = F(_SORT_COLUMNS[sort.lstrip("-")])
    order = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    if chosen.get("state"):  # one state: the rank is constant, and the (state, due_date) index can order
        query = query.order_by(order, "pk")
    else:
        query = referrals_in_worklist_order(query).order_by("state_rank", order, "pk")
    return _with_last_outreach(query).values(*ROW_FIELDS)


def worklist_rows(values: Iterable[dict], *, today: date) -> list[WorklistRow]:
    """Rows for the template (and the CSV) from `worklist_referrals` values."""
    return [worklist_row(row, today=today) for row in values]


def worklist_row(values: dict, *, today: date) -> WorklistRow:
    return WorklistRow(**values, days_overdue=days_overdue(values, today=today))


def days_overdue(row: dict, *, today: date) -> int | None:
    due = row["due_date"]
    if due is None or due >= today or row["state"] in NOT_DUE:
        return None
    return (today - due).days


def state_counts(*, connections: Iterable[str], chosen: dict[str, str]) -> dict[str, int]:
    """How many referrals each state has under the chosen filters other than the state (the tabs)."""
    query = _filtered(connections, {k: v for k, v in chosen.items() if k != "state"})
    return dict(query.order_by().values_list("state").annotate(n=Count("pk")))


def filter_options(*, connections: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """The specialties and performers that occur, for the filter's drop-downs (two indexed queries)."""
    query = Referral.objects.filter(connection__in=list(connections)).order_by()
    specialties = dict(
        query.exclude(specialty_code="").values_list("specialty_code", "specialty_display").distinct()
    )
    performers = query.exclude(performer_ref="").values_list("performer_ref", flat=True).distinct()
    return {
        "specialties": sorted(specialties.items(), key=lambda item: (item[1] or item[0]).casefold()),
        "performers": [(ref, ref) for ref in sorted(performers)],
    }


def _filtered(connections: Iterable[str], chosen: dict[str, str]) -> QuerySet:
    allowed = list(connections)
    if chosen.get("connection"):  # the form only accepts one of `connections`; checked again here
        allowed = [c for c in allowed if c == chosen["connection"]]
    query = Referral.objects.filter(connection__in=allowed)
    filters = {column: chosen[name] for name, column in _FILTER_COLUMNS.items() if chosen.get(name)}
    return query.filter(**filters)


def _with_last_outreach(query: QuerySet) -> QuerySet:
    latest = OutreachNote.objects.filter(referral=OuterRef("pk")).order_by("-created_at")  # the index's order
    return query.annotate(
        last_outreach_at=Subquery(latest.values("created_at")[:1]),
        last_outreach_contacted=Subquery(latest.values("contacted")[:1]),
    )
