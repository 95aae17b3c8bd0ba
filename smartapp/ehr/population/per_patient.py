"""Population by per-patient incremental searches over a panel, where the EHR searches only by patient
and offers no Bulk Data export (e.g. athenahealth, MEDITECH: docs/vendors.md).

The panel is the members of `Group/<config.group_id>` when the registration names one, else the patients
smartapp already tracks for the connection (given by the caller: ehr/ knows no referrals). Patients are
walked in a stable order (by id), each type of each patient searched from the type's watermark; the resume
point is (patient, type, page to read next). The watermarks move only once the whole panel is walked, and
then to the time the walk STARTED (the server's clock, from the first Bundle's meta.lastUpdated, else
ours): a change to a patient walked early in the walk is newer than that and is read by the next walk.
"""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.sync_queries import OVERLAP, incremental_query

from .base import PopulationPage, Walk, checkpoint, instant, page_of, parsed, search_from
from .panel import group_members

NAME = "per_patient"


@dataclass(frozen=True)
class _Position:
    index: int  # in the sorted panel
    type_index: int
    next_url: str = ""


def per_patient_pages(walk: Walk, resume: dict | None) -> Iterator[PopulationPage]:
    """Each patient of the panel, each searchable type, from where an earlier run left the walk."""
    resume = resume or {}
    started, skipped = parsed(resume.get("started")), resume.get("skipped") is True
    clock = timezone.now()  # the walk's start when the EHR's Bundles carry no time of their own
    joined = group_members(walk.client, walk.config.group_id) if walk.config.group_id else None
    panel = (
        sorted(joined) if joined is not None else sorted({p for p in walk.known_patients() if is_fhir_id(p)})
    )
    types = walk.searchable()
    position = _start(panel, types, resume) if started else _Position(0, 0)
    for patient, resource_type, next_url in _order(panel, types, position):
        since = _since(walk, resource_type, (joined or {}).get(patient))
        query = incremental_query(
            walk.config, resource_type, since=since, patient=patient, page_size=walk.page_size
        )
        pages, resumed = search_from(walk.client, query, next_url)
        for page in pages:
            started, skipped = started or page.server_time or clock, skipped or page.truncated
            point = _point(started, patient, resource_type, page.next_url or "", skipped)
            yield page_of(resource_type, page, point, resumed=resumed)
            resumed = False
    # A truncated search (page cap, foreign next link) left pages unread: the walk earns no watermark.
    yield checkpoint({}, {} if skipped else {resource_type: started or clock for resource_type in types})


def _order(panel: list[str], types: list[str], position: _Position) -> Iterator[tuple[str, str, str]]:
    """(patient, type, page to resume at or "") of the walk from `position` on."""
    for index in range(position.index, len(panel)):
        first = position.type_index if index == position.index else 0
        for type_index in range(first, len(types)):
            at_position = (index, type_index) == (position.index, position.type_index)
            yield panel[index], types[type_index], position.next_url if at_position else ""


def _since(walk: Walk, resource_type: str, joined: datetime | None) -> datetime | None:
    """The type's watermark, or None (everything) for a patient who joined the Group after it: their
    older resources were never read."""
    since = walk.since.get(resource_type)
    if since is not None and joined is not None and joined > since - OVERLAP:
        return None
    return since


def _start(panel: list[str], types: list[str], resume: dict) -> _Position:
    """Where a walk an earlier run left goes on: at its page, or after the (patient, type) it finished."""
    patient, resource_type, next_url = resume.get("patient"), resume.get("type"), resume.get("next") or ""
    index = bisect_left(panel, patient) if isinstance(patient, str) else 0
    if index == len(panel) or panel[index] != patient or resource_type not in types:
        return _Position(index, 0)  # the patient left the panel: the next one in order
    type_index = types.index(resource_type)
    if next_url:
        return _Position(index, type_index, next_url)
    if type_index + 1 < len(types):
        return _Position(index, type_index + 1)
    return _Position(index + 1, 0)


def _point(started: datetime, patient: str, resource_type: str, next_url: str, skipped: bool) -> dict:
    point = {"strategy": NAME, "started": instant(started), "patient": patient, "type": resource_type}
    return point | {"next": next_url} | ({"skipped": True} if skipped else {})
