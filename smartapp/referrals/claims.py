"""One sync per connection at a time: a claim row taken and renewed by conditional UPDATEs.

STYLE.md convention 3 (healthchecks `sendalerts`): `filter(free).update(...)` is atomic on every database,
so of two workers only one sees a count of 1. The claim holds for a lease, renewed after every page; a
worker that crashed (SIGKILL, lost machine) keeps nobody waiting longer than one lease. The store reads
before it writes (store.py), so two runs must never store pages of one connection at the same time.

The same row shows a connection sync's progress on the worklist (freshness.py): its start, the pages
stored so far (counted in each page's own transaction), and when it last failed.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .models import SyncClaim

DEFAULT_LEASE_SECONDS = 300  # several pages' worth of the slowest EHR answers (timeouts and retries)


class ClaimLost(Exception):
    """The lease ran out and another run took the connection over: this run must stop storing."""

    def __init__(self):
        super().__init__("another sync took this connection over")


def claim_take(*, connection: str, holder: str = "", whole: bool = False) -> str | None:
    """Claim `connection` for one run: the run's holder id, or None when another run holds it.

    `holder` names the run (a Celery task id: its retries and a redelivery are the same run and take its
    claim back at once, e.g. after the database went away before the claim could be released); by
    default a new random id. A broker redelivers a task only once its worker is gone (acks_late, and a
    visibility timeout longer than the task's time limit), so one id is never running twice. `whole`: a
    sync of the whole connection, whose progress the worklist shows (not one patient's).
    """
    SyncClaim.objects.bulk_create([SyncClaim(connection=connection)], ignore_conflicts=True)
    holder, now = (holder or secrets.token_hex(16))[:32], timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(holder=holder)
    values = {"holder": holder, "claimed_until": now + _lease()}
    if whole:
        values |= {"started_at": now, "progress_pages": 0, "progress_type": ""}
    taken = SyncClaim.objects.filter(free, connection=connection).update(**values)
    return holder if taken == 1 else None


def claim_renew(*, connection: str, holder: str, page_of: str = "", resume: dict | None = None) -> None:
    """Extend the lease (call inside a page's transaction); ClaimLost when the claim is no longer ours.
    `page_of`: the resource type of the page being stored, counted in the run's progress. `resume`: the
    population walk's resume point after that page, stored in the same UPDATE (so only by the holder)."""
    values = {"claimed_until": timezone.now() + _lease()}
    if page_of:
        values |= {"progress_pages": F("progress_pages") + 1, "progress_type": page_of}
    if resume is not None:
        values["resume"] = resume
    renewed = SyncClaim.objects.filter(connection=connection, holder=holder).update(**values)
    if renewed != 1:
        raise ClaimLost()


def claim_release(*, connection: str, holder: str, finished: bool, failed: bool = False) -> None:
    """Free the claim if it is still ours; `finished` records the end of a complete run, `failed` the
    failure of a whole connection's run."""
    values = {
        "holder": "",
        "claimed_until": None,
        "started_at": None,
        "progress_pages": 0,
        "progress_type": "",
    }
    if finished:
        values["finished_at"] = timezone.now()
    if failed:
        values["failed_at"] = timezone.now()
    SyncClaim.objects.filter(connection=connection, holder=holder).update(**values)


def claim_resume_point(*, connection: str) -> dict:
    """Where the connection's population walk goes on ({} for a new walk)."""
    point = SyncClaim.objects.filter(connection=connection).values_list("resume", flat=True).first()
    return point if isinstance(point, dict) else {}


def _lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "REFERRAL_SYNC_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))
