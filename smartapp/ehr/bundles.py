"""Searchset Bundles: matches, _include'd resources and withheld-result outcomes kept apart.

A server may withhold results and say so with an OperationOutcome entry (search.mode "outcome", SMART
Backend Services; FHIR R4 bundle.html#searchset). fhirclient yields every entry as a resource, so an
outcome could be shown as data; here it never is.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime

from smartapp.ehr.errors import EhrBadResponse

# Entries on one page: a real page holds _count matches (smartapp asks for 200 at most) plus their
# _include'd resources. The byte bound alone lets ~20 MB of tiny entries through (100,000 and more), each
# a dict to build and sort; a page over this is refused before any of that.
MAX_PAGE_ENTRIES = 5_000


@dataclass(frozen=True)
class SearchResult:
    """One search, all pages read: raw FHIR JSON dicts, split by search mode."""

    matches: list[dict]  # search.mode "match" (or no mode and the searched type)
    included: list[dict]  # search.mode "include", e.g. an _include'd Medication
    withheld: list[dict]  # OperationOutcomes saying results were withheld; never shown as data
    truncated: bool  # the page cap, a foreign next link or a paging cycle stopped the paging
    requests: int  # HTTP requests made (retries included)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search, as read: its entries split by search mode, and where the paging goes next."""

    matches: list[dict]
    included: list[dict]
    withheld: list[dict]
    number: int  # 1 for the first page this walk read
    next_url: str | None  # the page the walk reads next (on the FHIR base, not seen before); None: the end
    truncated: bool  # the walk stops after this page on purpose: page cap, foreign next link, cycle
    requests: int  # HTTP requests this page took (retries included)
    server_time: datetime | None = None  # the Bundle's meta.lastUpdated: when the server assembled it


def combined(pages: Iterable[SearchPage]) -> SearchResult:
    """One SearchResult of every page of a walk, in page order."""
    matches, included, withheld, truncated, requests = [], [], [], False, 0
    for page in pages:
        matches += page.matches
        included += page.included
        withheld += page.withheld
        truncated, requests = page.truncated, requests + page.requests
    return SearchResult(matches, included, withheld, truncated, requests)


def last_updated(resource: dict) -> datetime | None:
    """`meta.lastUpdated` of a resource (a Bundle: the server's time) as an aware datetime, else None."""
    meta = resource.get("meta")
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def require_bundle(resource: dict, *, max_entries: int = MAX_PAGE_ENTRIES) -> dict:
    """`resource` if it is a Bundle of at most `max_entries` entries, all objects; EhrBadResponse else."""
    entries = resource.get("entry", [])
    if resource.get("resourceType") != "Bundle" or not isinstance(entries, list):
        raise EhrBadResponse()
    if len(entries) > max_entries:
        raise EhrBadResponse()
    if not all(isinstance(entry, dict) for entry in entries):
        raise EhrBadResponse()
    return resource


@dataclass
class EntrySorter:
    """Sorts the entries of a page of one search of `resource_type` by search mode."""

    resource_type: str
    matches: list[dict] = field(default_factory=list)
    included: list[dict] = field(default_factory=list)
    withheld: list[dict] = field(default_factory=list)

    def add_page(self, bundle: dict) -> None:
        for entry in bundle.get("entry", []):
            resource = entry.get("resource")
            if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
                self._bucket(entry, resource).append(resource)

    def _bucket(self, entry: dict, resource: dict) -> list[dict]:
        search = entry.get("search")
        mode = search.get("mode") if isinstance(search, dict) else None
        if mode is None:  # some servers leave the mode out: judge by the resource type
            mode = _mode_by_type(resource["resourceType"], self.resource_type)
        if mode == "outcome":
            return self.withheld
        return self.included if mode == "include" else self.matches

    def page(self, *, number: int, next_url: str | None, truncated: bool, requests: int) -> SearchPage:
        return SearchPage(self.matches, self.included, self.withheld, number, next_url, truncated, requests)


def _mode_by_type(found: str, searched: str) -> str:
    if found == searched:
        return "match"
    return "outcome" if found == "OperationOutcome" else "include"
