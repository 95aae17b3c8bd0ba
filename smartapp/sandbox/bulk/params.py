"""The kick-off request of a Group `$export`: its headers and parameters, checked strictly (400 otherwise).

Rules from the Bulk Data Access IG v2, https://hl7.org/fhir/uv/bulkdata/export.html ("Bulk Data Kick-off
Request" and its "Query Parameters") and its Group operation,
https://hl7.org/fhir/uv/bulkdata/OperationDefinition-group-export.html.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl

import orjson
from django.utils.dateparse import parse_datetime

from smartapp.sandbox.fhir import catalog
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.fhir.search import parse_search

# What a Group export sends: Patient and the types of the Patient compartment the sandbox serves, and the
# types outside it that help to read them (the IG's _type: "Organization and Practitioner"), whole. Binary
# is left out (it is read through its DocumentReference), and so is Group.
EXPORT_TYPES = tuple(t for t in catalog.SUPPORTED_TYPES if t not in catalog.READ_ONLY and t != "Group")
# "Servers SHALL support Newline Delimited JSON" and accept its abbreviations (the IG's _outputFormat).
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
VENDOR_PARAMS = frozenset({"_type", "_since", "_typeFilter"})  # the ones a vendor may not take
_ACCEPTS = frozenset({"*/*", "application/*", "application/fhir+json", "application/json"})
_QUERIES = re.compile(r",(?=[A-Z][A-Za-z]+\?)")
_POST_VALUES = ("valueString", "valueInstant", "valueCode", "valueDateTime")


@dataclass
class ExportRequest:
    types: list[str]  # asked for with _type, [] = every type the token may read
    since: datetime | None = None
    type_filters: dict[str, list[str]] = field(default_factory=dict)  # type -> its queries, ORed


def export_request(request, allowed: frozenset[str]) -> ExportRequest:
    """Check the kick-off's headers and parse its parameters; `allowed`: the vendor's bulk parameters."""
    _check_headers(request)
    parsed = ExportRequest(types=[])
    for name, value in _pairs(request):
        if name in VENDOR_PARAMS and name not in allowed:
            raise FhirError(400, f"This server does not support the {name} parameter", code="not-supported")
        _apply(parsed, name, value)
    for resource_type in parsed.type_filters:
        if parsed.types and resource_type not in parsed.types:
            raise FhirError(400, f"_typeFilter names a type missing from _type: {resource_type}")
    return parsed


def type_filter_search(resource_type: str, query: str):
    """One `_typeFilter` query as a parsed FHIR search (the search API's own rules: a 400 when bad)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name in catalog.RESULT_PARAMS for name, _ in pairs):
        raise FhirError(400, "_typeFilter takes search parameters only")
    return parse_search(resource_type, pairs)


def _check_headers(request) -> None:
    # https://hl7.org/fhir/uv/bulkdata/export.html#headers: Prefer is required, Accept is FHIR JSON.
    if "respond-async" not in [p.strip() for p in request.META.get("HTTP_PREFER", "").split(",")]:
        raise FhirError(400, "The kick-off request needs the header Prefer: respond-async")
    if not accepts(request, _ACCEPTS):
        raise FhirError(400, "The kick-off request accepts application/fhir+json only")


def accepts(request, media_types: frozenset[str]) -> bool:
    """True when the request's Accept is absent or names one of `media_types` (parameters ignored)."""
    header = request.META.get("HTTP_ACCEPT", "")
    return not header.strip() or any(p.split(";")[0].strip() in media_types for p in header.split(","))


def _apply(parsed: ExportRequest, name: str, value: str) -> None:
    if name == "_type":
        parsed.types += [t for t in _types(value) if t not in parsed.types]
    elif name == "_since":
        if parsed.since is not None:
            raise FhirError(400, "_since may be given once")
        parsed.since = _instant(value)
    elif name == "_typeFilter":
        # Several queries in one value are comma-separated (the IG); a comma inside a query's value ORs.
        for query in _QUERIES.split(value):
            resource_type, _, search = query.partition("?")
            _checked_type(resource_type)
            type_filter_search(resource_type, search)
            parsed.type_filters.setdefault(resource_type, []).append(search)
    elif name == "_outputFormat":
        if value not in OUTPUT_FORMATS:
            raise FhirError(400, "Unsupported _outputFormat: only NDJSON is produced")
    else:
        raise FhirError(400, f"Unsupported $export parameter: {name[:64]}", code="not-supported")


def _types(value: str) -> list[str]:
    return [_checked_type(t.strip()) for t in value.split(",") if t.strip()]


def _checked_type(resource_type: str) -> str:
    if resource_type not in EXPORT_TYPES:
        raise FhirError(400, f"Resource type not exported by a Group export: {resource_type[:64]}")
    return resource_type


def _instant(value: str) -> datetime:
    # A FHIR instant has seconds and a time zone: https://hl7.org/fhir/R4/datatypes.html#instant
    try:
        instant = parse_datetime(value.replace(" ", "+"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None or value.count(":") < 2:
        raise FhirError(400, "_since must be a FHIR instant, e.g. 2024-01-01T00:00:00Z")
    return instant


def _pairs(request) -> list[tuple[str, str]]:
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    if request.method == "POST":
        pairs += _parameters_body(request.body)
    return pairs


def _parameters_body(body: bytes) -> list[tuple[str, str]]:
    """A POST kick-off's Parameters resource as (name, value) pairs."""
    try:
        parameters = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise FhirError(400, "The kick-off body must be a FHIR Parameters resource") from None
    if not isinstance(parameters, dict) or parameters.get("resourceType", "Parameters") != "Parameters":
        raise FhirError(400, "The kick-off body must be a FHIR Parameters resource")
    pairs = []
    for parameter in parameters.get("parameter", []):
        given = parameter if isinstance(parameter, dict) else {}
        value = next((given[key] for key in _POST_VALUES if key in given), None)
        if not isinstance(value, str):
            raise FhirError(400, "Each kick-off parameter needs a name and a string value")
        pairs.append((str(given.get("name", "")), value))
    return pairs
