"""Population data for a background sync: one interface, a strategy per vendor (STYLE.md convention 12).

The sync asks for pages of resources, each with an opaque resume point and the watermarks it earns, and
never learns whether they came from a system-wide search, a Bulk Data export's NDJSON files or a loop
over a panel of patients. The vendor's rule table names the strategy (`rules.population`, STYLE.md
conventions 8 and 11); a resume point left by another strategy is ignored.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import EhrError
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.profiles.rules import VendorRules
from smartapp.ehr.sync_queries import incremental_query

from .base import PopulationPage, PopulationPending, Walk, page_of, search_from
from .bulk import bulk_export_pages
from .per_patient import per_patient_pages
from .system_search import system_search_pages

__all__ = ["PopulationPage", "PopulationPending", "patient_pages", "population_pages"]

STRATEGIES = {
    "system_search": system_search_pages,
    "bulk_export": bulk_export_pages,
    "per_patient": per_patient_pages,
}


def population_pages(
    client: EhrClient,
    config: LaunchConfig,
    *,
    types: Sequence[str],
    since: Mapping[str, datetime | None],
    resume: dict | None,
    page_size: int,
    known_patients: Callable[[], Iterable[str]] = tuple,
) -> Iterator[PopulationPage]:
    """The pages of what changed in `config`'s EHR since each type's watermark (`since`), continuing the
    walk an earlier run left at `resume` (a page's `resume`, stored with it).

    Store each page and its `resume` and `watermarks` in one transaction before asking for the next: the
    walk then resumes after any failure without skipping or doubling anything. `known_patients()` gives the
    patients smartapp tracks for the connection (asked only by a per-patient walk without a Group).
    Raises the typed EhrErrors; PopulationPending when the EHR is still preparing the data.
    """
    rules = profile_for(config).rules
    strategy = config.population or rules.population
    _require_possible(strategy, rules, config, types)
    walk = Walk(
        client, config, rules, tuple(types), dict(since), min(page_size, rules.max_count), known_patients
    )
    own = resume if isinstance(resume, dict) and resume.get("strategy") == strategy else None
    return STRATEGIES[strategy](walk, own)


class StrategyImpossible(EhrError):
    """Permanent: the registration asks for a way of reading population data this EHR does not offer."""

    message = (
        "This EHR does not offer the registration's way of reading population data (its `population` or "
        "`group_id`): see docs/vendors.md."
    )


def _require_possible(strategy: str, rules: VendorRules, config: LaunchConfig, types: Sequence[str]) -> None:
    """A system-wide search of a type that needs a patient, an export where the vendor has none, or a
    panel from a Group the vendor does not let apps read: refused before any request."""
    if strategy == "system_search" and any(rules.search[t].required for t in types if t in rules.search):
        raise StrategyImpossible()
    if strategy == "bulk_export" and not rules.bulk_params and rules.population != "bulk_export":
        raise StrategyImpossible()
    if strategy == "per_patient" and config.group_id and "Group" not in rules.search:
        raise StrategyImpossible()


def patient_pages(
    client: EhrClient, config: LaunchConfig, *, patient: str, types: Sequence[str], page_size: int
) -> Iterator[PopulationPage]:
    """Everything of one patient (a clinician's "track follow-up"): a search per type, no resume point, no
    watermark (one patient's changes say nothing about the others')."""
    rules = profile_for(config).rules
    for resource_type in types:
        if resource_type not in rules.search:
            continue
        query = incremental_query(
            config, resource_type, since=None, patient=patient, page_size=min(page_size, rules.max_count)
        )
        pages, _ = search_from(client, query, "")
        for page in pages:
            yield page_of(resource_type, page, {})
