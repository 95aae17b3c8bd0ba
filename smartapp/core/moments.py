"""Dates and instants as a person reads them: "7 May 2020", "7 May 2020, 14:00 UTC", with the ISO form
beside them for `<time datetime>` and machines.

Pure: the zone is an argument. A date names a calendar day, not an instant, so it is never shifted into
another zone; an instant is shown in `zone`, with the zone's abbreviation. A naive datetime is read as UTC.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# English month names regardless of the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Moment:
    iso: str  # machine-readable, for <time datetime="...">
    day: str  # "7 May 2020", "May 2020", "2020"
    day_time: str  # "7 May 2020, 14:00 UTC" when there is a time, else `day`
    full: str  # what a hover shows: the day and, when known, the time and zone


def moment_of(value, zone: tzinfo | str = UTC) -> Moment | None:
    """A date or datetime `value` as a Moment (an instant in `zone`); None for anything else."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _instant(aware.astimezone(zone_of(zone)))
    if isinstance(value, date):
        return day_moment(value.year, value.month, value.day)
    return None


def day_moment(year: int, month: int, day: int) -> Moment | None:
    """A calendar day ("7 May 1956"); None when there is no such day."""
    try:
        calendar_day = date(year, month, day)
    except ValueError:
        return None
    spelled = _spell_day(calendar_day)
    return Moment(iso=calendar_day.isoformat(), day=spelled, day_time=spelled, full=spelled)


def month_moment(year: int, month: int) -> Moment | None:
    """A month of a year ("May 2020"); None for month 0 or 13."""
    if not 1 <= month <= 12:
        return None
    spelled = f"{_MONTHS[month - 1]} {year}"
    return Moment(iso=f"{year:04d}-{month:02d}", day=spelled, day_time=spelled, full=spelled)


def year_moment(year: int) -> Moment:
    spelled = f"{year:04d}"
    return Moment(iso=spelled, day=spelled, day_time=spelled, full=spelled)


def zone_of(zone: tzinfo | str) -> tzinfo:
    """`zone`, or the zone of that IANA name; UTC for a name no one knows."""
    if isinstance(zone, tzinfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def time_element(moment: Moment | None, *, with_time: bool = False) -> str:
    """The escaped `<time datetime="ISO" title="full">day</time>` markup of `moment`, or "" for None."""
    if moment is None:
        return ""
    visible = moment.day_time if with_time else moment.day
    return f'<time datetime="{escape(moment.iso)}" title="{escape(moment.full)}">{escape(visible)}</time>'


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
