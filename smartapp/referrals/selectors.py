"""Reading referrals for worklists."""

from datetime import datetime

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from .models import Referral, SyncWatermark
from .state import WORKLIST_RANK


def referrals_in_worklist_order(queryset: QuerySet | None = None) -> QuerySet:
    """Referrals in the worklist's natural order: overdue, then no-show, pending, declined, scheduled,
    cancelled, completed (state.WORKLIST_RANK); within a state by due date, oldest first."""
    queryset = Referral.objects.all() if queryset is None else queryset
    rank = Case(
        *(When(state=state, then=Value(position)) for state, position in WORKLIST_RANK.items()),
        default=Value(len(WORKLIST_RANK)),
        output_field=IntegerField(),
    )
    return queryset.annotate(state_rank=rank).order_by("state_rank", F("due_date").asc(nulls_last=True), "pk")


def watermark_of(*, connection: str, resource_type: str) -> datetime | None:
    """The newest meta.lastUpdated stored for this connection and resource type, or None before any sync."""
    return (
        SyncWatermark.objects.filter(connection=connection, resource_type=resource_type)
        .values_list("last_updated", flat=True)
        .first()
    )
