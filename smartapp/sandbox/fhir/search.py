"""Search parameters (https://hl7.org/fhir/R4/search.html) parsed into one filter on Resource rows.

Strict: a parameter the type does not support, a modifier, or a bad value is a 400, never ignored.
Repeating a parameter ANDs its values; a comma inside one value ORs them.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from smartapp.sandbox.fhir import catalog
from smartapp.sandbox.fhir.dates import date_filter
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.fhir.paging import read_page_token

DEFAULT_COUNT = 50
MAX_COUNT = 1000
_NOTHING = Q(pk__in=[])


@dataclass
class Search:
    resource_type: str
    filter: Q
    params: list[tuple[str, str]]  # the request's parameters without its paging token, for links
    count: int = DEFAULT_COUNT
    after_pk: int = 0
    includes: list[tuple[str, str]] = field(default_factory=list)  # (element, target type)
    named_patients: set[str] = field(default_factory=set)
    pretty: bool = False
    max_count: int = MAX_COUNT
    token_scope: str = ""  # the FHIR base paging tokens are bound to (paging.py)


def parse_search(
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    default_count: int = DEFAULT_COUNT,
    max_count: int = MAX_COUNT,
    token_scope: str = "",
) -> Search:
    """Parse a type's search parameters, or raise FhirError(400).

    A vendor emulation passes its page sizes (a larger `_count` is clamped to `max_count`) and the scope
    its paging tokens are bound to.
    """
    known = catalog.SEARCH_PARAMS[resource_type]
    search = Search(
        resource_type,
        Q(resource_type=resource_type),
        [p for p in params if p[0] != catalog.PAGE_TOKEN],
        count=default_count,
        max_count=max_count,
        token_scope=token_scope,
    )
    for name, value in params:
        if name in catalog.RESULT_PARAMS:
            _apply_result_param(search, name, value)
        elif name not in known:
            raise FhirError(400, f"Unknown or unsupported search parameter for {resource_type}: {name[:64]}")
        elif value:  # an empty parameter is ignored (R4 search 3.1.1.2)
            _apply_filter(search, name, value, *known[name])
    return search


def _apply_filter(search: Search, name: str, value: str, kind: str, column: str) -> None:
    values = [v for v in value.split(",") if v]
    if kind == catalog.REFERENCE_PATIENT:
        ids = [i for v in values if (i := _reference_id(v, "Patient"))]
        search.named_patients.update(ids)
        search.filter &= Q(patient_id__in=ids) if ids else _NOTHING
        return
    if kind == catalog.IDS and search.resource_type == "Patient":
        search.named_patients.update(values)
    search.filter &= reduce(or_, (_value_filter(kind, column, v) for v in values)) if values else _NOTHING


def _value_filter(kind: str, column: str, value: str) -> Q:
    if kind == catalog.IDS:
        return Q(fhir_id=value)
    if kind == catalog.TOKEN_STATUS:
        return Q(status=value)
    if kind == catalog.TOKEN_COLUMN:
        # "system|" means any code of that system: the column's token continues after the bar.
        return Q(**{f"{column}__contains": f" {value}" if value.endswith("|") else f" {value} "})
    if kind == catalog.DATE:
        return date_filter(column, value)
    if kind == catalog.REFERENCE_LIST:
        reference = _typed_reference(value)
        return Q(**{f"{column}__contains": f" {reference} " if "/" in reference else f"/{reference} "})
    raise AssertionError(f"unhandled search kind {kind}")


def _typed_reference(value: str) -> str:
    """ "Type/id" from a relative or absolute reference; a bare id stays bare."""
    return "/".join(value.rstrip("/").split("/")[-2:])


def _reference_id(value: str, resource_type: str) -> str:
    """The id in `Type/id`, an absolute URL ending so, or a bare id; "" if it names another type."""
    reference = _typed_reference(value)
    if "/" not in reference:
        return reference
    ref_type, _, ref_id = reference.partition("/")
    return ref_id if ref_type == resource_type else ""


def _apply_result_param(search: Search, name: str, value: str) -> None:
    if name == "_count":
        search.count = min(_non_negative_int(value, name), search.max_count)
    elif name == "_include":
        search.includes += [i for i in _include(search.resource_type, value) if i not in search.includes]
    elif name == catalog.PAGE_TOKEN:
        search.after_pk = read_page_token(value, search.resource_type, search.token_scope)
    elif name == "_pretty":
        search.pretty = value == "true"
    # _format: the API answers JSON only.


def _include(resource_type: str, value: str) -> tuple[tuple[str, str], ...]:
    include = catalog.INCLUDES.get(resource_type, {}).get(value)
    if include is None:
        raise FhirError(400, f"Unsupported _include for {resource_type}: {value[:64]}")
    return include


def _non_negative_int(value: str, name: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise FhirError(400, f"{name} must be a non-negative integer")
    return int(value)
