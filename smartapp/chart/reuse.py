"""A repeat view of the same chart within a minute reuses what was fetched, instead of asking the EHR again.

Kept only in this process's memory (a local-memory cache, never a shared one: this is PHI), keyed by the
launch and its grant's refresh time, so a token refresh invalidates it, and so does the time limit.
A fetch in which any section (or the Patient) failed is not kept: "Try again" must really try again.
"""

import hashlib

from django.core.cache import caches
from django.utils import timezone

from smartapp.chart import sections
from smartapp.launch.grants import REFRESH_MARGIN
from smartapp.launch.models import Grant, Launch

CACHE = "chart"
SECONDS = 60


def _key(launch: Launch) -> str | None:
    """None when the grant is gone or due for a refresh: then the EHR is asked again."""
    grant = Grant.objects.filter(launch=launch).values_list("refreshed_at", "expires_at").first()
    if grant is None or grant[1] - REFRESH_MARGIN <= timezone.now():
        return None
    refreshed = grant[0]
    scope = hashlib.sha256(launch.scope.encode()).hexdigest()[:16]  # what may be shown is part of the key
    return f"chart:{launch.pk}:{refreshed.timestamp() if refreshed else 0}:{scope}"


def reused_chart(launch: Launch):
    """(patient, sections) fetched for this launch in the last minute, or None."""
    key = _key(launch)
    return caches[CACHE].get(key) if key else None


def keep_chart(launch: Launch, patient: dict | None, found: dict) -> None:
    if patient is None or any(data.state == sections.FAILED for data in found.values()):
        return
    if key := _key(launch):
        caches[CACHE].set(key, (patient, found), SECONDS)
