"""Population by system-wide incremental search: per type, what changed since its watermark, page by page.

Where the EHR sorts pages by _lastUpdated the watermark moves with every page; otherwise a later page may
hold older changes, so the newest time seen is carried in the resume point and becomes the watermark only
at the walk's end (a truncated walk skipped pages: it earns none). The resume point keeps, per type whose
walk is unfinished, the page to read next; every other type searches again from its watermark.
"""

from collections.abc import Iterator

from smartapp.ehr.sync_queries import incremental_query, newest_update

from .base import PopulationPage, Walk, instant, later, page_of, parsed, search_from

NAME = "system_search"


def system_search_pages(walk: Walk, resume: dict | None) -> Iterator[PopulationPage]:
    """Every searchable type in turn (walk.types' order), each walk resumed where an earlier run left it."""
    walks = {
        resource_type: dict(point)
        for resource_type, point in (resume or {}).get("walks", {}).items()
        if isinstance(point, dict)
    }
    for resource_type in walk.searchable():
        yield from _type_pages(walk, resource_type, walks)


def _type_pages(walk: Walk, resource_type: str, walks: dict) -> Iterator[PopulationPage]:
    query = incremental_query(
        walk.config, resource_type, since=walk.since.get(resource_type), page_size=walk.page_size
    )
    pending = walks.get(resource_type, {})
    pages, resumed = search_from(walk.client, query, pending.get("next", ""))
    newest = parsed(pending.get("newest")) if resumed else None
    for page in pages:
        newest = later(newest, newest_update(page.matches))
        marks = {}
        if page.next_url is not None:
            walks[resource_type] = {
                "next": page.next_url,
                "newest": None if query.ordered else instant(newest),
            }
        else:
            walks.pop(resource_type, None)
        if newest is not None and (query.ordered or (page.next_url is None and not page.truncated)):
            marks = {resource_type: newest}
        yield page_of(resource_type, page, _point(walks), watermarks=marks, resumed=resumed)
        resumed = False


def _point(walks: dict) -> dict:
    if not walks:
        return {}
    return {"strategy": NAME, "walks": {resource_type: dict(point) for resource_type, point in walks.items()}}
