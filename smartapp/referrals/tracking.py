"""Applying the tracking horizon (horizon.py) to stored expectations: close what is before tracking, reopen
what the horizon closed and is within it again. Never touches an item a person has worked on."""

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from smartapp.ehr import configs

from .horizon import CLOSE, REOPEN, Tracked, horizon_change, tracking_start
from .models import BEFORE_TRACKING, OutreachNote, Referral

BATCH = 500
DEFAULT_TRACKING_DAYS = 180
# The columns that say a person worked on an item (with an outreach note): the horizon keeps off it.
_WORK = ("owner", "reopened_at", "snoozed_until", "next_action_on")
_COLUMNS = ("pk", "authored_on", "closed_reason", "closed_by", *_WORK)
_UNTOUCHED = Q(**{f"{column}__isnull": True for column in _WORK})
_CLOSED_BY_IT = Q(closed_reason=BEFORE_TRACKING, closed_by__isnull=True)


def tracking_days(connection: str) -> int:
    """The connection's lookback in days: its registration's `tracking_days`, else the setting."""
    config = configs.by_name(connection)
    days = getattr(config, "tracking_days", None) if config is not None else None
    return days or int(getattr(settings, "REFERRAL_TRACKING_DAYS", DEFAULT_TRACKING_DAYS))


def horizon_apply(*, connection: str, today: date, ids: Iterable[int] | None = None) -> int:
    """Close the expectations of `connection` (only `ids`, when given) that are before tracking and no one
    has worked on, as BEFORE_TRACKING; reopen those the horizon closed that are within it again. Returns
    how many changed."""
    days = tracking_days(connection)
    start = tracking_start(today=today, days=days)
    # Only rows the horizon may change are read (horizon_change decides): the old open ones, and those it
    # closed that are no longer old. Everything it closed long ago stays unread.
    old_and_open = Q(closed_reason="", authored_on__lt=start)
    young = Q(authored_on__gte=start) | Q(authored_on__isnull=True)
    rows = Referral.objects.filter(old_and_open | (_CLOSED_BY_IT & young), connection=connection)
    if ids is None:
        return _apply(list(rows.values_list(*_COLUMNS)), today=today, days=days)
    wanted = sorted(set(ids))
    batches = (rows.filter(pk__in=wanted[i : i + BATCH]) for i in range(0, len(wanted), BATCH))
    return sum(_apply(list(batch.values_list(*_COLUMNS)), today=today, days=days) for batch in batches)


def _apply(rows: list[tuple], *, today: date, days: int) -> int:
    changes = {CLOSE: [], REOPEN: []}
    for offset in range(0, len(rows), BATCH):
        chunk = rows[offset : offset + BATCH]
        noted = set(
            OutreachNote.objects.filter(referral_id__in=[row[0] for row in chunk]).values_list(
                "referral_id", flat=True
            )
        )
        for pk, authored, reason, closed_by, *work in chunk:
            item = Tracked(
                clinical_date=authored,
                closed_reason=reason,
                closed_by_horizon=reason == BEFORE_TRACKING and closed_by is None,
                worked_on=any(work) or pk in noted,
            )
            if change := horizon_change(item, today=today, days=days):
                changes[change].append(pk)
    now = timezone.now()
    # Conditional UPDATEs: an item a person took meanwhile is left alone (STYLE.md convention 3).
    closing = Referral.objects.filter(_UNTOUCHED, closed_reason="")
    reopening = Referral.objects.filter(_UNTOUCHED, _CLOSED_BY_IT)
    closed = _update(closing, changes[CLOSE], closed_reason=BEFORE_TRACKING, closed_at=now, updated_at=now)
    return closed + _update(reopening, changes[REOPEN], closed_reason="", closed_at=None, updated_at=now)


def _update(query, pks: list[int], **values) -> int:
    return sum(query.filter(pk__in=pks[i : i + BATCH]).update(**values) for i in range(0, len(pks), BATCH))
