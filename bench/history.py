"""What a first sync left on the worklists: the stored expectations against the connection's tracking
horizon (smartapp.referrals.tracking). Needs Django set up against the synced database."""

from django.db.models import Count, Q
from django.utils import timezone


def horizon_counts(connection: str) -> dict:
    """Stored expectations by kind, and how many are open, closed as before tracking, or closed otherwise;
    the open ones dated before the horizon (the target: none) and the ones inside it closed as before."""
    from smartapp.referrals.horizon import tracking_start
    from smartapp.referrals.models import BEFORE_TRACKING, Evidence, Referral
    from smartapp.referrals.tracking import tracking_days

    days = tracking_days(connection)
    start = tracking_start(today=timezone.localdate(), days=days)
    rows = Referral.objects.filter(connection=connection)
    is_open, before = Q(closed_reason=""), Q(closed_reason=BEFORE_TRACKING)
    counts = rows.aggregate(
        open=Count("pk", filter=is_open),
        before_tracking=Count("pk", filter=before),
        closed_other=Count("pk", filter=~is_open & ~before),
        open_before_horizon=Count("pk", filter=is_open & Q(authored_on__lt=start)),
        before_tracking_inside=Count("pk", filter=before & Q(authored_on__gte=start)),
    )
    return {
        "tracking_days": days,
        "tracking_start": start.isoformat(),
        "stored": dict(rows.order_by().values_list("kind").annotate(n=Count("pk"))),
        "evidence": Evidence.objects.filter(connection=connection).count(),
        **counts,
    }
