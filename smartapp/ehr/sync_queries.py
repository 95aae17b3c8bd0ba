"""Incremental search queries for the background sync: what changed since a watermark.

`_lastUpdated=ge<watermark - 5 minutes>`: the overlap catches resources whose transactions committed
out of order around the watermark; the sync dedupes them by id and versionId (SECURITY.md 5.3).
Every query is built from the vendor's rule table (ehr/profiles/) and checked with `query_problem` before
it is returned: a strict server (Oracle Health, the sandbox) refuses an unknown parameter with 400 rather
than ignoring it, and one that requires the patient refuses a system-wide search.

Where a type does not accept `_lastUpdated` (Oracle's DocumentReference and Appointment; every Epic type
in its table) the query has no incremental filter: every run reads all of that type again (for the
patient, in a per-patient sync). The sync's upsert on id and versionId keeps that idempotent; what it
costs is requests and transfer, growing with the panel's history (IncrementalQuery.incremental says so).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smartapp.ehr.bundles import last_updated
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.profiles import VendorProfile, profile_for
from smartapp.ehr.profiles.validity import query_problem

__all__ = ["IncrementalQuery", "incremental_query", "query_problem", "searchable"]

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
    # The query narrows to what changed since the watermark (False: the type takes no `_lastUpdated`).
    incremental: bool = True


def searchable(config: LaunchConfig, resource_type: str, *, per_patient: bool | None = None) -> bool:
    """Whether the vendor lets the app search `resource_type` at all (a type absent from its table is not);
    with `per_patient`, whether the sync's query can be built for one patient (True) or system-wide (False):
    Oracle, for one, takes a patient's Appointments only with a date range, which a watermark is not."""
    if per_patient is None:
        return resource_type in profile_for(config).rules.search
    try:
        incremental_query(config, resource_type, since=None, patient="p" if per_patient else "")
    except ValueError:
        return False
    return True


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
    performer, author) included, where the vendor's server supports that.

    Raises ValueError when the vendor would refuse any such query: a type it cannot search, or a search it
    only takes for one patient (or with another required parameter) asked for system-wide. The population
    strategy must then be per-patient or Bulk Data export (ehr/population/).
    """
    profile = profile_for(config)
    rules = profile.rules
    rule = rules.search.get(resource_type)
    if rule is None:
        raise ValueError(f"{rules.vendor} cannot search {resource_type}")
    incremental = since is not None and "_lastUpdated" in rule.accepted
    params = [("_lastUpdated", f"ge{fhir_instant(since - OVERLAP)}")] if incremental else []
    params += _patient_params(rule.accepted, patient)
    params += _narrowing(profile, resource_type)
    if profile.sorts_by_last_updated:
        params.append(("_sort", "_lastUpdated"))
    params.append(("_count", str(max(1, min(page_size, rules.max_count)))))
    if problem := query_problem(rules, resource_type, params):
        raise ValueError(problem)
    return IncrementalQuery(
        resource_type, params, ordered=profile.sorts_by_last_updated, incremental=since is None or incremental
    )


def _patient_params(accepted: frozenset[str], patient: str) -> list[tuple[str, str]]:
    """`patient=<id>`, or `subject=Patient/<id>` where a type only takes `subject`."""
    if not patient:
        return []
    if not is_fhir_id(patient):
        raise ValueError("patient must be a FHIR id")
    if "patient" not in accepted and "subject" in accepted:
        return [("subject", f"Patient/{patient}")]
    return [("patient", patient)]


def _narrowing(profile: VendorProfile, resource_type: str) -> list[tuple[str, str]]:
    """Referrals by category, and the `_include`s of Patients and people, each only where supported."""
    params = []
    if resource_type == "ServiceRequest" and profile.referral_category:
        params.append(("category", profile.referral_category))
    if include := profile.patient_includes.get(resource_type):
        params.append(("_include", include))
    params += [("_include", include) for include in profile.people_includes.get(resource_type, ())]
    return params


def fhir_instant(moment: datetime) -> str:
    """`moment` as a FHIR instant in UTC to the second (rounded down), e.g. 2024-05-01T12:00:00Z."""
    if moment.tzinfo is None:
        raise ValueError("a FHIR instant needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def newest_update(resources: list[dict]) -> datetime | None:
    """The latest `meta.lastUpdated` among `resources` (a page's matches): the candidate watermark."""
    moments = [moment for resource in resources if (moment := last_updated(resource))]
    return max(moments, default=None)
