"""Keeping the denormalised state columns of Referral equal to state.follow_up over the stored evidence."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from .models import Evidence, Referral, rank_of
from .rows import evidence_facts, referral_facts
from .state import CANCELLED, COMPLETED, DECLINED, follow_up
from .tracking import horizon_apply

STATE_FIELDS = ["state", "state_rank", "state_evidence", "state_inferred", "last_evidence_at"]
BATCH = 500
# States that the passing of days cannot change (see state.follow_up: only due dates and future
# appointments depend on today).
SETTLED = (COMPLETED, CANCELLED, DECLINED)


def states_recompute(referral_ids: Iterable[int], *, today: date) -> int:
    """Recompute the state of these referrals from their evidence; returns how many changed."""
    ids = sorted(set(referral_ids))
    return sum(_recompute_batch(ids[i : i + BATCH], today) for i in range(0, len(ids), BATCH))


def referral_states_refresh(*, today: date, connection: str | None = None) -> int:
    """Recompute every unsettled referral (pending becomes overdue, scheduled turns past), and close what
    aged out of the tracking horizon (tracking.py); for a daily job. Returns how many changed."""
    query = Referral.objects.exclude(state__in=SETTLED)
    if connection is not None:
        query = query.filter(connection=connection)
    changed = states_recompute(query.values_list("pk", flat=True).iterator(), today=today)
    connections = [connection] if connection is not None else _connections()
    return changed + sum(horizon_apply(connection=name, today=today) for name in connections)


def _connections() -> list[str]:
    return list(Referral.objects.order_by().values_list("connection", flat=True).distinct())


def _recompute_batch(ids: list[int], today: date) -> int:
    evidence = defaultdict(list)
    for row in Evidence.objects.filter(referral_id__in=ids):
        evidence[row.referral_id].append(row)
    changed = []
    for referral in Referral.objects.filter(pk__in=ids):
        rows = evidence[referral.pk]
        result = follow_up(referral_facts(referral), [evidence_facts(row) for row in rows], today=today)
        dates = [row.date for row in rows if row.date and row.status != "entered-in-error"]
        values = {
            "state": result.state,
            "state_rank": rank_of(result.state),
            "state_evidence": result.summary[:255],
            "state_inferred": result.inferred,
            "last_evidence_at": max(dates, default=None),
        }
        if any(getattr(referral, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(referral, name, value)
            changed.append(referral)
    Referral.objects.bulk_update(changed, STATE_FIELDS)
    return len(changed)
