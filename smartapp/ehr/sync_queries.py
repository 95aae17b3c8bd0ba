"""Incremental search queries for the background sync: what changed since a watermark.

`_lastUpdated=ge<watermark - 5 minutes>`: the overlap catches resources whose transactions committed
out of order around the watermark; the sync dedupes them by id and versionId (SECURITY.md 5.3). Only
parameters the vendor profile says the server accepts are sent: a strict server (the sandbox among
them) refuses an unknown one with 400 rather than ignoring it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.dateparse import parse_datetime

from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.profiles import profile_for

OVERLAP = timedelta(minutes=5)
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class IncrementalQuery:
    """The search of one resource type since a watermark, for EhrClient.search_pages."""

    resource_type: str
    params: list[tuple[str, str]]
    # Pages come sorted by _lastUpdated: the watermark may advance to the newest stored resource after
    # each page. Otherwise a later page may hold older changes, so it advances only once the walk ends.
    ordered: bool


def incremental_query(
    config: LaunchConfig,
    resource_type: str,
    *,
    since: datetime | None,
    patient: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
) -> IncrementalQuery:
    """The query for `resource_type` changed since `since` (everything when None), optionally for one
    patient; ServiceRequests narrowed to referrals, and Patients and the people named (requester,
    performer, author) included, where the vendor's server supports that."""
    profile = profile_for(config)
    params = []
    if since is not None:
        params.append(("_lastUpdated", f"ge{fhir_instant(since - OVERLAP)}"))
    if patient:
        if not is_fhir_id(patient):
            raise ValueError("patient must be a FHIR id")
        params.append(("patient", patient))
    if resource_type == "ServiceRequest" and profile.referral_category:
        params.append(("category", profile.referral_category))
    if include := profile.patient_includes.get(resource_type):
        params.append(("_include", include))
    params += [("_include", include) for include in profile.people_includes.get(resource_type, ())]
    if profile.sorts_by_last_updated:
        params.append(("_sort", "_lastUpdated"))
    params.append(("_count", str(page_size)))
    return IncrementalQuery(resource_type, params, ordered=profile.sorts_by_last_updated)


def fhir_instant(moment: datetime) -> str:
    """`moment` as a FHIR instant in UTC to the second (rounded down), e.g. 2024-05-01T12:00:00Z."""
    if moment.tzinfo is None:
        raise ValueError("a FHIR instant needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_updated(resource: dict) -> datetime | None:
    """The resource's `meta.lastUpdated` as an aware datetime; None when absent or not an instant."""
    meta = resource.get("meta")
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def newest_update(resources: list[dict]) -> datetime | None:
    """The latest `meta.lastUpdated` among `resources` (a page's matches): the candidate watermark."""
    moments = [moment for resource in resources if (moment := last_updated(resource))]
    return max(moments, default=None)
