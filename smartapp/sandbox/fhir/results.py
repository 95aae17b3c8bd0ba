"""Running a parsed search: one page of matches plus the resources it _includes, in a fixed few queries."""

from dataclasses import dataclass

import orjson
from django.db.models import TextField
from django.db.models.functions import Cast

from smartapp.sandbox.fhir.access import Access
from smartapp.sandbox.fhir.search import Search
from smartapp.sandbox.models import Resource


def _bundle_rows(rows):
    """Only what a Bundle entry needs, as plain rows (pk, resource_type, fhir_id, raw).

    The body comes as its stored JSON text (`raw`) and goes into the Bundle as it is: decoding and
    re-encoding every resource, and building a model instance per row, were most of a search's time.
    """
    with_raw = rows.annotate(raw=Cast("body", TextField()))
    return with_raw.values_list("pk", "resource_type", "fhir_id", "raw", named=True)


@dataclass
class Page:
    matches: list  # rows of _bundle_rows
    included: list
    total: int
    next_after_pk: int | None  # the cursor of the next page, None on the last page


def run_search(search: Search, access: Access, include_access: dict[str, Access | None]) -> Page:
    """One page of `search` within `access`: a count, a keyset page query and one query per _include.

    `include_access` holds, per included type, what the token may read of it (None: nothing).
    """
    rows = Resource.objects.filter(search.filter & access.as_filter())
    page_rows = _bundle_rows(rows.filter(pk__gt=search.after_pk).order_by("pk"))
    window = list(page_rows[: search.count + 1])
    matches = window[: search.count]
    has_more = len(window) > search.count and matches
    # A first page that holds every match already knows the total: no COUNT query for most searches.
    complete = not search.after_pk and len(window) <= search.count
    total = len(matches) if complete else rows.count()
    return Page(
        matches=matches,
        included=_included(matches, search.includes, include_access),
        total=total,
        next_after_pk=matches[-1].pk if has_more else None,
    )


def _included(matches: list, includes, include_access: dict[str, Access | None]) -> list:
    found: list = []
    bodies = [orjson.loads(match.raw) for match in matches] if includes else []  # once, for every include
    for element, target_type in includes:
        access = include_access.get(target_type)
        ids = set().union(*(_ids_of(body.get(element), target_type) for body in bodies)) - {""}
        if access is None or not ids:
            continue
        rows = Resource.objects.filter(access.as_filter(), resource_type=target_type, fhir_id__in=ids)
        found += [row for row in _bundle_rows(rows.order_by("pk")) if row not in found]
    return found


def _ids_of(element, target_type: str) -> set[str]:
    """The ids of `target_type` in one Reference or a list of them (DocumentReference.author)."""
    references = element if isinstance(element, list) else [element]
    return {_id_of(reference, target_type) for reference in references}


def _id_of(reference, target_type: str) -> str:
    value = reference.get("reference", "") if isinstance(reference, dict) else ""
    ref_type, _, ref_id = value.rpartition("/")
    return ref_id if ref_type.rpartition("/")[2] == target_type else ""
