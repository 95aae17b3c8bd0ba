"""HL7 v2 date/time values: DTM (v2.5.1 2A.3.22) and the TS of older versions, whose second component (degree
of precision) the caller drops by reading component 1 only."""

import re
from datetime import date, datetime, timedelta, timezone

from django.utils import timezone as django_timezone

# YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]; longer fractions are accepted and cut to microseconds.
_DTM = re.compile(
    r"(?P<year>\d{4})(?:(?P<month>\d{2})(?:(?P<day>\d{2})(?:(?P<hour>\d{2})(?:(?P<minute>\d{2})"
    r"(?:(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?)?)?)?)?(?P<offset>[+-]\d{4})?"
)
_BIRTH_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_dtm(value: str) -> datetime | None:
    """An aware datetime from a DTM, or None when empty or unreadable. Missing parts default to their start
    (January, the 1st, midnight); without an offset the time is local to the current zone: the registration's
    `[adt] time_zone` where the caller activated it (zones.py), else settings.TIME_ZONE."""
    found = _DTM.fullmatch(value.strip())
    if not found:
        return None
    parts = found.groupdict()
    try:
        local = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if parts["offset"] is None:
        return django_timezone.make_aware(local, django_timezone.get_current_timezone())
    zone = _offset_zone(parts["offset"])
    return local.replace(tzinfo=zone) if zone else None


def parse_birth_date(value: str) -> str:
    """PID-7 as YYYY-MM-DD (the date as written, never shifted by a zone), "" when not a full valid date."""
    found = _BIRTH_DATE.match(value.strip())
    if not found:
        return ""
    try:
        return date(*(int(part) for part in found.groups())).isoformat()
    except ValueError:
        return ""


def format_dtm(moment: datetime) -> str:
    """A DTM to the second, with the offset when the datetime is aware."""
    return moment.strftime("%Y%m%d%H%M%S") + moment.strftime("%z")


def _offset_zone(offset: str) -> timezone | None:
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)
