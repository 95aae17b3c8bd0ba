"""Reading referrals for worklists, and the care team who works on them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, QuerySet

from smartapp.launch.models import Launch

from .models import BEFORE_TRACKING, CLOSE_REASONS, Referral, SyncWatermark
from .team_names import Person, identity_annotations, person_named


@dataclass(frozen=True)
class TeamMember:
    """A person who signed in as a care coordinator on some of the connections: someone to assign to."""

    user_id: int
    label: str  # their name as the EHR gave it, else their reference
    connections: tuple[str, ...]  # of the connections asked about, those they signed in on


def referrals_in_worklist_order(queryset: QuerySet | None = None) -> QuerySet:
    """Referrals in the worklist's natural order: overdue, then no-show, pending, declined, scheduled,
    cancelled, completed (state.WORKLIST_RANK, stored as Referral.state_rank); within a state by due date,
    oldest first."""
    queryset = Referral.objects.all() if queryset is None else queryset
    return queryset.order_by("state_rank", F("due_date").asc(nulls_last=True), "pk")


def watermark_of(*, connection: str, resource_type: str) -> datetime | None:
    """The newest meta.lastUpdated stored for this connection and resource type, or None before any sync."""
    return (
        SyncWatermark.objects.filter(connection=connection, resource_type=resource_type)
        .values_list("last_updated", flat=True)
        .first()
    )


def care_team(*, connections: Iterable[str]) -> list[TeamMember]:
    """Everyone who has signed in as a coordinator on one of `connections`, by name (one query)."""
    names = identity_annotations("user_id", "member")
    rows = (
        Launch.objects.filter(persona="coordinator", config_name__in=list(connections))
        .values("user_id", "config_name", "fhir_user")
        .annotate(**names)
        .order_by()
        .distinct()
    )
    members: dict[int, dict] = {}
    for row in rows:
        member = members.setdefault(row["user_id"], {**row, "connections": set()})
        member["connections"].add(row["config_name"])
    team = [
        TeamMember(
            user_id=user_id,
            label=person_named(
                name=m["member_name"], fhir_user=m["member_fhir_user"] or m["fhir_user"]
            ).label,
            connections=tuple(sorted(m["connections"])),
        )
        for user_id, m in members.items()
    ]
    return sorted(team, key=lambda member: (member.label.casefold(), member.user_id))


@dataclass(frozen=True)
class Work:
    """The care team's work on one referral, for its page: who owns it, when to act, whether it is open."""

    status: str  # "open" | "snoozed" | "closed" | BEFORE_TRACKING
    owner_id: int | None
    owner: Person | None
    next_action_on: date | None
    next_action_due: bool
    snoozed_until: date | None
    closed_reason: str
    closed_label: str
    closed_note: str
    closed_at: datetime | None
    closed_by: Person | None
    reopened_at: datetime | None


def referral_work(referral: Referral, *, today: date) -> Work:
    """The work columns of `referral` read again with the owner's and the closer's names (one query)."""
    row = (
        Referral.objects.filter(pk=referral.pk)
        .annotate(
            **identity_annotations("owner_id", "owner"), **identity_annotations("closed_by_id", "closer")
        )
        .values()
        .get()
    )
    reason, snoozed = row["closed_reason"], row["snoozed_until"]
    status = BEFORE_TRACKING if reason == BEFORE_TRACKING else "closed" if reason else "open"
    if status == "open" and snoozed is not None and snoozed > today:
        status = "snoozed"
    return Work(
        status=status,
        owner_id=row["owner_id"],
        owner=_person(row, "owner_id", "owner"),
        next_action_on=row["next_action_on"],
        next_action_due=status == "open"
        and row["next_action_on"] is not None
        and row["next_action_on"] <= today,
        snoozed_until=snoozed if status == "snoozed" else None,
        closed_reason=reason,
        closed_label=dict(CLOSE_REASONS).get(reason, reason),
        closed_note=row["closed_note"],
        closed_at=row["closed_at"],
        closed_by=_person(row, "closed_by_id", "closer"),
        reopened_at=row["reopened_at"],
    )


def _person(row: dict, user_field: str, prefix: str) -> Person | None:
    if row[user_field] is None:
        return None
    return person_named(name=row[f"{prefix}_name"], fhir_user=row[f"{prefix}_fhir_user"])
