"""Finding audit events for the auditor: by patient, user, action and UTC dates; newest first, a page at
a time by seq (keyset paging: no COUNT over a table that only grows, and no page shifts as events arrive)."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Q, QuerySet

from smartapp.audit.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventPage:
    events: list
    newer: int | None  # `after` for the newer page, if there is one
    older: int | None  # `before` for the older page, if there is one


def audit_events(*, chosen: dict) -> QuerySet:
    """Events matching the filters of AuditFilterForm.chosen(), unordered."""
    events = AuditEvent.objects.all()
    if patient := chosen.get("patient"):
        bare = patient.removeprefix("Patient/")
        events = events.filter(patient_ref__in=[bare, f"Patient/{bare}"])  # both forms are recorded
    if user := chosen.get("user"):
        by_user = Q(fhir_user=user) | Q(fhir_user__endswith=f"/{user}") if "/" in user else Q(fhir_user=user)
        events = events.filter(by_user | Q(user_id=int(user)) if user.isdigit() else by_user)
    if action := chosen.get("action"):
        prefix = action.rstrip(".")
        events = events.filter(Q(action=prefix) | Q(action__startswith=f"{prefix}."))
    if since := chosen.get("since"):
        events = events.filter(ts__gte=datetime.combine(since, time.min, tzinfo=UTC))
    if until := chosen.get("until"):
        events = events.filter(ts__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))
    return events


def audit_page(events: QuerySet, *, before: int | None = None, after: int | None = None) -> EventPage:
    """PAGE_SIZE events, newest first: the newest, those older than seq `before`, or newer than `after`."""
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: PAGE_SIZE + 1])
        more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        return EventPage(rows, rows[0].seq if more else None, rows[-1].seq if rows else None)
    if before is not None:
        events = events.filter(seq__lt=before)
    rows = list(events.order_by("-seq")[: PAGE_SIZE + 1])
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    newer = rows[0].seq if rows and before is not None else None
    return EventPage(rows, newer, rows[-1].seq if more else None)
