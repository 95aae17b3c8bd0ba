"""Searchset Bundles (https://hl7.org/fhir/R4/bundle.html) and their paging links."""

import uuid
from urllib.parse import urlencode

import orjson
from django.utils import timezone

from smartapp.sandbox.base_url import fhir_base
from smartapp.sandbox.fhir.catalog import PAGE_TOKEN
from smartapp.sandbox.fhir.paging import expired_page_token, page_token
from smartapp.sandbox.fhir.results import Page
from smartapp.sandbox.fhir.search import Search


def searchset(
    request, search: Search, page: Page, *, broken_next: bool = False, page_param: str = PAGE_TOKEN
) -> dict:
    """The Bundle for one page; `broken_next` makes its next link carry an expired token (a fault).

    Links stay on the base the search came to; a vendor emulation names the token `page_param`.
    """
    base = fhir_base(request)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now().isoformat(timespec="milliseconds")},
        "type": "searchset",
        "total": page.total,
        "link": _links(base, search, page, broken_next, page_param),
        "entry": [_entry(base, r, "match") for r in page.matches]
        + [_entry(base, r, "include") for r in page.included],
    }


def _links(base: str, search: Search, page: Page, broken_next: bool, page_param: str) -> list[dict]:
    def url(token: str | None) -> str:
        params = search.params + ([(page_param, token)] if token else [])
        return f"{base}/{search.resource_type}" + (f"?{urlencode(params)}" if params else "")

    def token(after_pk: int, make=page_token) -> str:
        return make(search.resource_type, after_pk, search.token_scope)

    current = token(search.after_pk) if search.after_pk else None
    links = [{"relation": "self", "url": url(current)}, {"relation": "first", "url": url(None)}]
    if page.next_after_pk is not None:
        make_token = expired_page_token if broken_next else page_token
        links.append({"relation": "next", "url": url(token(page.next_after_pk, make_token))})
    return links


def _entry(base: str, resource, mode: str) -> dict:
    return {
        "fullUrl": f"{base}/{resource.resource_type}/{resource.fhir_id}",
        "resource": orjson.Fragment(resource.raw),
        "search": {"mode": mode},
    }
