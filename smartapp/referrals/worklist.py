"""The coordinator's worklist: one query for a page of rows, whatever the page size.

The state, its evidence summary and the last evidence date are columns of Referral (kept by the store);
the last outreach comes from correlated subqueries on the (referral, -created_at) index, the owner's name
from one on their EHR identity. Nothing is read per row.

By default the list holds the open items: not closed, and not snoozed past today. `show` picks another
work status, `owner` narrows to "mine", "unassigned" or one coordinator (a user id).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from .facts import from_adt_feed
from .models import BEFORE_TRACKING, CLOSE_REASONS, OutreachNote, Referral
from .selectors import referrals_in_worklist_order
from .state import CANCELLED, COMPLETED
from .team_names import identity_annotations, person_named

_SORT_COLUMNS = {
    "due": "due_date",
    "authored": "authored_on",
    "evidence": "last_evidence_at",
    "specialty": "specialty_display",
    "action": "next_action_on",
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
    "patient_mrn",
    "patient_birth_date",
    "patient_phone",
    "requester_ref",
    "requester_display",
    "performer_display",
    "owner_id",
    "owner_name",
    "owner_fhir_user",
    "next_action_on",
    "snoozed_until",
    "closed_reason",
    "closed_note",
    "closed_at",
)
# The work statuses of `show` ("" is the default, open): codes in the query string.
SHOW = {
    "": "Open",
    "snoozed": "Snoozed",
    "closed": "Closed",
    BEFORE_TRACKING: "Before tracking began",
    "all": "All",
}
CLOSE_LABELS = dict(CLOSE_REASONS)
PERSON_CLOSE_REASONS = [code for code, _ in CLOSE_REASONS if code != BEFORE_TRACKING]
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
    patient_mrn: str
    patient_birth_date: date | None
    patient_phone: str
    requester_ref: str
    requester_display: str
    performer_display: str
    owner_id: int | None
    owner_name: str | None
    owner_fhir_user: str | None
    next_action_on: date | None
    snoozed_until: date | None
    closed_reason: str
    closed_note: str
    closed_at: datetime | None
    days_overdue: int | None
    next_action_due: bool  # the next-action day is today or has passed (and the item is still open)
    snoozed: bool  # hidden from the open list until snoozed_until

    @property
    def patient_id(self) -> str:
        return self.patient_ref.partition("/")[2] or self.patient_ref

    @property
    def from_adt_feed(self) -> bool:
        return from_adt_feed(self.fhir_ref)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def owner_display(self) -> str:
        """The owner's name as the EHR gave it, else their reference; "" when no one owns the item."""
        if self.owner_id is None:
            return ""
        return person_named(name=self.owner_name, fhir_user=self.owner_fhir_user).label

    @property
    def closed_label(self) -> str:
        return CLOSE_LABELS.get(self.closed_reason, self.closed_reason)


def worklist_referrals(
    *,
    connections: Iterable[str],
    chosen: dict[str, str],
    user_id: int | None = None,
    today: date | None = None,
) -> QuerySet:
    """Referrals of `connections` matching the `chosen` filters (WorklistFilterForm.chosen), in worklist
    order (state.WORKLIST_RANK, then the chosen column, oldest due date first by default), as row values.
    `user_id` is who "mine" means; `today` decides which snoozes have ended (default: the local date)."""
    query = _filtered(connections, chosen, user_id=user_id, today=today)
    sort = chosen.get("sort", "due")
    column = F(_SORT_COLUMNS[sort.lstrip("-")])
    order = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    if chosen.get("state"):  # one state: the rank is constant, and the (state, due_date) index can order
        query = query.order_by(order, "pk")
    else:
        query = referrals_in_worklist_order(query).order_by("state_rank", order, "pk")
    return _with_owner(_with_last_outreach(query)).values(*ROW_FIELDS)


def worklist_rows(values: Iterable[dict], *, today: date) -> list[WorklistRow]:
    """Rows for the template (and the CSV) from `worklist_referrals` values."""
    return [worklist_row(row, today=today) for row in values]


def worklist_row(values: dict, *, today: date) -> WorklistRow:
    is_open = not values["closed_reason"]
    return WorklistRow(
        **values,
        days_overdue=days_overdue(values, today=today),
        next_action_due=is_open
        and values["next_action_on"] is not None
        and values["next_action_on"] <= today,
        snoozed=is_open and values["snoozed_until"] is not None and values["snoozed_until"] > today,
    )


def days_overdue(row: dict, *, today: date) -> int | None:
    """Days past the due date of an item still to follow up; None once it is done or closed (a stay of
    1928 closed as before tracking is not "35,944 days overdue")."""
    due = row["due_date"]
    if due is None or due >= today or row["state"] in NOT_DUE or row["closed_reason"]:
        return None
    return (today - due).days


def state_counts(
    *,
    connections: Iterable[str],
    chosen: dict[str, str],
    user_id: int | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """How many referrals each state has under the chosen filters other than the state (the tabs): within
    the chosen work status and owner."""
    others = {k: v for k, v in chosen.items() if k != "state"}
    query = _filtered(connections, others, user_id=user_id, today=today)
    return dict(query.order_by().values_list("state").annotate(n=Count("pk")))


def filter_options(
    *, connections: Iterable[str], chosen: dict[str, str] | None = None, today: date | None = None
) -> dict[str, list[tuple[str, str]]]:
    """The specialties and performers (by name) among the referrals of the chosen work status (open by
    default), for the filter's drop-downs: two DISTINCT queries. Not over every referral: decades of
    history closed as before tracking would make them cost more than the rest of the page (bench.worklist).
    """
    chosen = chosen or {}
    scope = {name: value for name, value in chosen.items() if name in ("show", "connection")}
    options = _filter_options(_filtered(connections, scope, user_id=None, today=today).order_by())
    # A chosen value stays selectable (and shown as selected) when none of these referrals has it.
    for name, key in (("specialty", "specialties"), ("performer", "performers")):
        value = chosen.get(name)
        if value and value not in dict(options[key]):
            options[key].insert(0, (value, value))
    return options


def _filter_options(query: QuerySet) -> dict[str, list[tuple[str, str]]]:
    specialties = dict(
        query.exclude(specialty_code="").values_list("specialty_code", "specialty_display").distinct()
    )
    performers = dict(
        query.exclude(performer_ref="")
        .values("performer_ref")
        .annotate(name=Max("performer_display"))
        .values_list("performer_ref", "name")
    )
    return {
        "specialties": sorted(specialties.items(), key=lambda item: (item[1] or item[0]).casefold()),
        "performers": sorted(
            ((ref, name or f"Not named ({ref})") for ref, name in performers.items()),
            key=lambda item: (item[1].startswith("Not named"), item[1].casefold()),
        ),
    }


def work_status(show: str, *, today: date) -> Q:
    """The referrals of one work status (a key of SHOW; anything else: open)."""
    not_closed = Q(closed_reason="")
    statuses = {
        "snoozed": not_closed & Q(snoozed_until__gt=today),
        "closed": Q(closed_reason__in=PERSON_CLOSE_REASONS),  # IN, not NOT IN: the index serves it
        BEFORE_TRACKING: Q(closed_reason=BEFORE_TRACKING),
        "all": Q(),
    }
    return statuses.get(show, not_closed & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)))


def _filtered(
    connections: Iterable[str], chosen: dict[str, str], *, user_id: int | None, today: date | None
) -> QuerySet:
    allowed = list(connections)
    if chosen.get("connection"):  # the form only accepts one of `connections`; checked again here
        allowed = [c for c in allowed if c == chosen["connection"]]
    query = Referral.objects.filter(connection__in=allowed)
    query = query.filter(work_status(chosen.get("show", ""), today=today or timezone.localdate()))
    filters = {column: chosen[name] for name, column in _FILTER_COLUMNS.items() if chosen.get(name)}
    return _owned(query.filter(**filters), chosen.get("owner", ""), user_id=user_id)


def _owned(query: QuerySet, owner: str, *, user_id: int | None) -> QuerySet:
    if owner == "mine":
        return query.none() if user_id is None else query.filter(owner_id=user_id)
    if owner == "unassigned":
        return query.filter(owner__isnull=True)
    return query.filter(owner_id=int(owner)) if owner.isdigit() else query


def _with_last_outreach(query: QuerySet) -> QuerySet:
    latest = OutreachNote.objects.filter(referral=OuterRef("pk")).order_by("-created_at")  # the index's order
    return query.annotate(
        last_outreach_at=Subquery(latest.values("created_at")[:1]),
        last_outreach_contacted=Subquery(latest.values("contacted")[:1]),
    )


def _with_owner(query: QuerySet) -> QuerySet:
    return query.annotate(**identity_annotations("owner_id", "owner"))
