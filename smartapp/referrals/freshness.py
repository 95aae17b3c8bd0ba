"""How fresh each connection's worklist data is: last synced, a run in progress, a failure, stale data.

`freshness_of` is pure (a claim row and the time now in, a Freshness out); `connection_freshness` reads
the SyncClaim rows of the coordinator's connections in one query. The data is stale once the last
complete sync is older than twice beat's interval (REFERRAL_SYNC_INTERVAL_SECONDS): beat missed a run
and the next is late too, or every run since failed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from smartapp.ehr import configs

from .models import SyncClaim

DEFAULT_INTERVAL_SECONDS = 900


@dataclass(frozen=True)
class Freshness:
    connection: str
    title: str  # the EHR registration's title, for people
    finished_at: datetime | None  # the end of the last complete sync; None: never synced
    ago: str  # "12 min ago", "" when never synced
    syncing: bool  # a run of the whole connection holds the claim now
    started_at: datetime | None  # of the run in progress
    pages: int  # pages stored so far by the run in progress
    resource_type: str  # what the run in progress reads now
    failed_at: datetime | None  # the last run failed at this time (after the last complete one)
    stale: bool  # the last complete sync is older than twice the interval
    waiting: bool  # a "Sync now" (sync_now.py) no run has answered yet: queued, or waiting for a worker
    interval_minutes: int  # how often beat syncs

    @property
    def progress(self) -> str:
        """What the worklist and its status endpoint say while a run is in progress (counts only)."""
        if not self.syncing:
            return ""
        return f"Syncing now: {self.pages} page{'s' if self.pages != 1 else ''} read"


def freshness_of(
    connection: str, claim: SyncClaim | None, *, now: datetime, interval: timedelta, title: str = ""
) -> Freshness:
    """The freshness of `connection` from its claim row (None: no run ever started) at `now`."""
    finished = claim.finished_at if claim else None
    syncing = bool(claim and claim.holder and claim.claimed_until and claim.claimed_until > now)
    syncing = syncing and claim.started_at is not None  # a patient's run is not a sync of the worklist
    failed = claim.failed_at if claim else None
    if failed is not None and finished is not None and failed <= finished:
        failed = None  # a complete run came after the failure
    return Freshness(
        connection=connection,
        title=title or connection,
        finished_at=finished,
        ago=ago(now - finished) if finished else "",
        syncing=syncing,
        started_at=claim.started_at if syncing else None,
        pages=claim.progress_pages if syncing else 0,
        resource_type=claim.progress_type if syncing else "",
        failed_at=failed,
        stale=finished is not None and now - finished > 2 * interval,
        waiting=not syncing and _unanswered(claim, now=now, interval=interval),
        interval_minutes=round(interval.total_seconds() / 60),
    )


def _unanswered(claim: SyncClaim | None, *, now: datetime, interval: timedelta) -> bool:
    """A recent "Sync now" after which no run ended. After an interval it is no longer awaited (beat's run
    would have answered it): the button comes back."""
    asked = claim.requested_at if claim else None
    if asked is None or now - asked > interval:
        return False
    ended = [moment for moment in (claim.finished_at, claim.failed_at) if moment is not None]
    return not ended or max(ended) < asked


def connection_freshness(connections, *, now: datetime | None = None) -> list[Freshness]:
    """The freshness of each of `connections` (registration names), in their order. One query."""
    claims = {claim.connection: claim for claim in SyncClaim.objects.filter(connection__in=list(connections))}
    now, interval = now or timezone.now(), sync_interval()
    return [
        freshness_of(name, claims.get(name), now=now, interval=interval, title=connection_title(name))
        for name in connections
    ]


def connections_due(connections, *, now: datetime | None = None) -> list[str]:
    """Those of `connections` without a complete sync within the interval (a worker start syncs them)."""
    since = (now or timezone.now()) - sync_interval()
    recent = set(
        SyncClaim.objects.filter(connection__in=list(connections), finished_at__gte=since).values_list(
            "connection", flat=True
        )
    )
    return [name for name in connections if name not in recent]


def ago(elapsed: timedelta) -> str:
    """ "just now", "12 min ago", "3 h 5 min ago", "2 days ago"."""
    minutes = max(int(elapsed.total_seconds() // 60), 0)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min ago" if rest else f"{hours} h ago"
    return f"{minutes // (24 * 60)} days ago"


def sync_interval() -> timedelta:
    return timedelta(
        seconds=int(getattr(settings, "REFERRAL_SYNC_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))
    )


def connection_title(name: str) -> str:
    """The EHR's title ("Sandbox EHR (synthetic patients)"), or the registration's name without one."""
    config = configs.by_name(name)
    return config.title if config is not None and config.title else name
