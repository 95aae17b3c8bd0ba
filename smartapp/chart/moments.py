"""FHIR dates as a person reads them: "7 May 2020", with the time only where it matters.

Pure: the zone is an argument. A date without a time (FHIR `date`, or a partial "2020-05") names a
calendar day, not an instant, so it is never shifted into another zone; an instant is shown in `zone`.
A time without a zone (a naive datetime, or a FHIR dateTime that breaks the spec by omitting it) is read
as UTC, as smartapp.ehr.dates does.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smartapp.ehr.dates import parse_fhir_datetime

# English month names regardless of the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?")


@dataclass(frozen=True)
class Moment:
    iso: str  # machine-readable, for <time datetime="...">
    day: str  # "7 May 2020", "May 2020", "2020"
    day_time: str  # "7 May 2020, 14:00 UTC" when there is a time, else `day`
    full: str  # what a hover shows: the day and, when known, the time and zone


def readable_date(value, zone: tzinfo | str = UTC) -> Moment | None:
    """`value` (a FHIR date/dateTime/instant string, a date or a datetime) as a Moment; None for None,
    "" and anything unparseable, so no raw text ever reaches a reader."""
    zone = _zone(zone)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _instant(aware.astimezone(zone))
    if isinstance(value, date):
        return _day(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    partial = _PARTIAL.fullmatch(value.strip())
    if partial:
        return _partial(*partial.groups())
    moment = parse_fhir_datetime(value)
    return _instant(moment.astimezone(zone)) if moment else None


def _zone(zone: tzinfo | str) -> tzinfo:
    if isinstance(zone, tzinfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _partial(year: str, month: str | None, day: str | None) -> Moment | None:
    if day and month:
        try:
            return _day(int(year), int(month), int(day))
        except ValueError:
            return None
    if month:
        if not 1 <= int(month) <= 12:
            return None
        spelled = f"{_MONTHS[int(month) - 1]} {year}"
        return Moment(iso=f"{year}-{month}", day=spelled, day_time=spelled, full=spelled)
    return Moment(iso=year, day=year, day_time=year, full=year)


def _day(year: int, month: int, day: int) -> Moment | None:
    try:
        calendar_day = date(year, month, day)
    except ValueError:
        return None
    spelled = _spell_day(calendar_day)
    return Moment(iso=calendar_day.isoformat(), day=spelled, day_time=spelled, full=spelled)


def _instant(moment: datetime) -> Moment:
    day = _spell_day(moment)
    with_time = f"{day}, {moment:%H:%M} {_abbreviation(moment)}"
    return Moment(iso=moment.isoformat(), day=day, day_time=with_time, full=with_time)


def _spell_day(moment: date) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _abbreviation(moment: datetime) -> str:
    """ "UTC", "CET", "EDT"; an offset ("+0530") where the zone has no abbreviation."""
    name = moment.tzname() or ""
    return name if name and name[0].isalpha() else moment.strftime("%z")
