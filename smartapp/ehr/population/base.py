"""What every population strategy takes and gives: the walk's inputs, its pages, and a pending export."""

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.utils.dateparse import parse_datetime

from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import EhrBadResponse, EhrUnavailable
from smartapp.ehr.fhir import EhrClient, SearchPage
from smartapp.ehr.profiles.rules import VendorRules
from smartapp.ehr.sync_queries import IncrementalQuery

log = logging.getLogger(__name__)


class PopulationPending(EhrUnavailable):
    """The EHR is still preparing the data (a Bulk Data export runs): this run stops, not failed, and a
    later one resumes at the stored resume point after `retry_after` seconds."""

    message = "The EHR is still preparing the data."


@dataclass(frozen=True)
class PopulationPage:
    """One page of population data to store in one transaction together with its resume point.

    `resource_type` is "" for a checkpoint: no data, only a resume point (and watermarks) to store.
    `resume` is opaque and JSON-able: where the walk goes on after this page ({} once it is done), given
    back to population_pages by the next run. `watermarks`: types whose watermark may move to this time
    once the page is stored (never backwards: the store keeps the later one).
    """

    resource_type: str
    resources: list[dict]
    resume: dict
    watermarks: dict[str, datetime] = field(default_factory=dict)
    requests: int = 0  # FHIR requests this page took (retries included)
    withheld: int = 0  # OperationOutcomes saying the EHR withheld results
    truncated: bool = False  # the walk stopped on purpose (page cap, foreign next link, cycle)
    # The moment the page describes the EHR at, when it is not the moment it is read: an export's
    # transactionTime. None: now (a search page has just been read).
    as_of: datetime | None = None
    resumed: bool = False  # the first page of a walk an earlier run left unfinished


def checkpoint(resume: dict, watermarks: dict[str, datetime] | None = None) -> PopulationPage:
    """A page without data: a resume point (and watermarks) to store before the walk goes on."""
    return PopulationPage("", [], resume, watermarks or {})


@dataclass(frozen=True)
class Walk:
    """One run's inputs: the EHR, its rules, the types to sync with their watermarks, the page size, and
    (for a per-patient walk without a Group) the patients smartapp already tracks for the connection."""

    client: EhrClient
    config: LaunchConfig
    rules: VendorRules
    types: Sequence[str]
    since: Mapping[str, datetime | None]
    page_size: int
    known_patients: Callable[[], Iterable[str]] = tuple

    def searchable(self) -> list[str]:
        """The types the vendor lets smartapp search (a type absent from its table answers 404)."""
        return [resource_type for resource_type in self.types if resource_type in self.rules.search]


def search_from(
    client: EhrClient, query: IncrementalQuery, next_url: str
) -> tuple[Iterator[SearchPage], bool]:
    """The pages of `query`, or of the walk an earlier run left at `next_url`; whether it resumed.

    A resume point the EHR no longer accepts (an expired paging token: 400, 410) or off the FHIR base is
    dropped and the search starts again from the watermark, which never moved past an unread page.
    """
    if next_url:
        pages = client.search_pages(query.resource_type, resume=next_url)
        try:
            first = next(pages)
        except (ValueError, EhrBadResponse):
            log.warning("resume point refused; searching again", extra={"resource_type": query.resource_type})
        else:
            return chain([first], pages), True
    return client.search_pages(query.resource_type, query.params), False


def page_of(resource_type: str, page: SearchPage, resume: dict, **extra) -> PopulationPage:
    """A search page as a population page: its matches and included resources, stored together."""
    return PopulationPage(
        resource_type,
        page.matches + page.included,
        resume,
        requests=page.requests,
        withheld=len(page.withheld),
        truncated=page.truncated,
        **extra,
    )


def instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def parsed(value) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return moment if moment is not None and moment.tzinfo is not None else None


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    return max((moment for moment in (first, second) if moment is not None), default=None)
