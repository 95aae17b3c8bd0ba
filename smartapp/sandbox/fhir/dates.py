"""FHIR date search values (https://hl7.org/fhir/R4/search.html#date) as filters on a datetime column."""

import re
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from smartapp.sandbox.fhir.outcomes import FhirError

_PREFIXED = re.compile(r"^(?P<prefix>eq|gt|ge|lt|le)?(?P<value>\d{4}.*)$")
_PARTIAL_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


def date_filter(column: str, raw: str) -> Q:
    """The filter for one `[prefix]value`; a value stands for the whole range of its precision.

    gt/le compare with the range's end and ge/lt/eq with its start, so `le2024-01-31` includes that day.
    """
    match = _PREFIXED.match(raw)
    if not match:
        raise FhirError(400, f"Invalid date search value for {column}")
    start, end = _range(match["value"])
    prefix = match["prefix"] or "eq"
    lookups = {
        "eq": {f"{column}__gte": start, f"{column}__lt": end},
        "gt": {f"{column}__gte": end},
        "ge": {f"{column}__gte": start},
        "lt": {f"{column}__lt": start},
        "le": {f"{column}__lt": end},
    }
    return Q(**lookups[prefix])


def _range(value: str) -> tuple[datetime, datetime]:
    if partial := _PARTIAL_DATE.match(value):
        return _partial_range(partial)
    # A "+hh:mm" offset arrives as " hh:mm" when the client did not percent-encode the "+".
    value = value.replace(" ", "+")
    try:
        instant = parse_datetime(value)
    except ValueError:
        instant = None
    if instant is None:
        raise FhirError(400, "Invalid date search value")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant, instant + _precision(value)


def _partial_range(match: re.Match) -> tuple[datetime, datetime]:
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        raise FhirError(400, "Invalid date search value") from None
    if match["day"]:
        return start, start + timedelta(days=1)
    if match["month"]:
        return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=UTC)


def _precision(value: str) -> timedelta:
    time = re.split(r"[Z+-]", value.partition("T")[2])[0]
    if "." in time:
        return timedelta(milliseconds=1)
    return timedelta(seconds=1) if time.count(":") >= 2 else timedelta(minutes=1)
