"""FHIR date, dateTime and instant values (https://hl7.org/fhir/R4/datatypes.html#dateTime) as datetimes."""

import re
from datetime import UTC, datetime

# A year, optionally month and day, then a time with optional fractions and zone.
_FHIR_DATE = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
_MAX_LENGTH = 64  # longer is not a date; never run the pattern over a vendor's megabyte string


def parse_fhir_datetime(value) -> datetime | None:
    """A FHIR date, dateTime or instant as an aware UTC datetime, else None.

    Partial dates stand for their start ("2024-05" is May 1st); a time without a zone is read as UTC.
    Anything else (not a string, month 13, February 30th, hour 25, zone +99:00) is None, never an error.
    """
    text = value.strip() if isinstance(value, str) and len(value) <= _MAX_LENGTH else ""
    match = _FHIR_DATE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0)
        )
        if zone and zone != "Z":
            return datetime.fromisoformat(moment.isoformat() + zone).astimezone(UTC)
        return moment.replace(tzinfo=UTC)
    except ValueError:
        return None
