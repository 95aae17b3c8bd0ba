"""The seeded sandbox EHR on the live server, as the referral sync reads it, and what to compare after.

Seeded resources are given meta.lastUpdated ten minutes apart (newest an hour ago), as a real EHR's are:
with every resource stamped at one instant, the sync's five-minute overlap would read them all again.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from smartapp.ehr import configs
from smartapp.ehr.backend_services import forget_system_tokens
from smartapp.referrals.models import Evidence, Referral, SyncClaim, SyncWatermark
from smartapp.referrals.sync import SYNC_TYPES
from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog, load_all

BACKEND = "smartapp-backend"
PAGE_SIZE = 50


@pytest.fixture(name="ehr")
def ehr_fixture(live_server, settings, transactional_db):
    """The sandbox registration, its EHR seeded on the live server and its backend client registered."""
    settings.APP_ORIGIN = live_server.url
    settings.REFERRAL_SYNC_PAGE_SIZE = PAGE_SIZE
    cache.clear()
    forget_system_tokens()
    load_all(anchor=timezone.localdate())
    spread_last_updated()
    clients.register_default_backend([live_server.url])
    yield configs.by_name("sandbox")
    forget_system_tokens()
    cache.clear()


def spread_last_updated(newest=None, step=timedelta(minutes=10)) -> None:
    newest = newest or (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    rows = list(Resource.objects.filter(resource_type__in=SYNC_TYPES).order_by("-pk"))
    for index, row in enumerate(rows):
        row.last_updated = newest - index * step
        stamp = row.last_updated.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        row.body = {**row.body, "meta": {**row.body["meta"], "lastUpdated": stamp}}
    Resource.objects.bulk_update(rows, ["last_updated", "body"], batch_size=500)


def seeded_states(connection: str = "sandbox") -> dict[str, str]:
    """State of each seeded follow-up scenario referral, by the state it was seeded to be in."""
    refs = {f"ServiceRequest/{sr}": state for state, sr in catalog.FOLLOW_UP_REFERRAL_IDS.items()}
    rows = Referral.objects.filter(connection=connection, fhir_ref__in=refs)
    return {refs[row.fhir_ref]: row.state for row in rows}


EXPECTED = {state: state for state in catalog.FOLLOW_UP_STATES}


def stored() -> tuple:
    """Every stored referral and evidence row by natural key, with its version and state."""
    referrals = sorted(
        Referral.objects.values_list("connection", "fhir_ref", "version_id", "state", "patient_display")
    )
    evidence = sorted(
        Evidence.objects.values_list("connection", "kind", "fhir_ref", "target_ref", "version_id", "link")
    )
    return referrals, evidence


def duplicates() -> list:
    """Natural keys stored more than once (the unique constraints make this empty; a guard all the same)."""
    doubled = Referral.objects.values("connection", "fhir_ref").annotate(n=Count("pk")).filter(n__gt=1)
    evidence = (
        Evidence.objects.values("connection", "kind", "fhir_ref", "target_ref")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    return [*doubled, *evidence]


def seeded_count(resource_type: str) -> int:
    return Resource.objects.filter(resource_type=resource_type).count()


def newest_seeded(resource_type: str):
    return Resource.objects.filter(resource_type=resource_type).aggregate(Max("last_updated"))[
        "last_updated__max"
    ]


def watermarks() -> dict[str, tuple]:
    """Per type: (watermark, page its unfinished search walk reads next or "", newest change that walk
    stored or None), the last two from the system-search resume point (ehr/population/system_search.py)."""
    resume = SyncClaim.objects.filter(connection="sandbox").values_list("resume", flat=True).first() or {}
    walks = resume.get("walks", {}) if resume.get("strategy") == "system_search" else {}
    marks = {}
    for row in SyncWatermark.objects.filter(connection="sandbox"):
        walk = walks.get(row.resource_type, {})
        newest = parse_datetime(walk["newest"]) if walk.get("newest") else None
        marks[row.resource_type] = (row.last_updated, walk.get("next", ""), newest)
    for resource_type in set(walks) - set(marks):
        marks[resource_type] = (
            None,
            walks[resource_type]["next"],
            parse_datetime(walks[resource_type]["newest"] or ""),
        )
    return marks
