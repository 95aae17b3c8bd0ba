"""FHIR dates as a person reads them: "7 May 2020", with the time only where it matters.

Pure: the zone is an argument. A date without a time (FHIR `date`, or a partial "2020-05") names a
calendar day, not an instant, so it is never shifted into another zone; an instant is shown in `zone`.
A time without a zone (a naive datetime, or a FHIR dateTime that breaks the spec by omitting it) is read
as UTC, as smartapp.ehr.dates does. The spelling itself is smartapp.core.moments, shared with the
coordinator's pages.
"""

import re
from datetime import UTC, date, tzinfo

from smartapp.core.moments import Moment, day_moment, moment_of, month_moment, year_moment
from smartapp.ehr.dates import parse_fhir_datetime

__all__ = ["Moment", "readable_date"]

_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?")


def readable_date(value, zone: tzinfo | str = UTC) -> Moment | None:
    """`value` (a FHIR date/dateTime/instant string, a date or a datetime) as a Moment; None for None,
    "" and anything unparseable, so no raw text ever reaches a reader."""
    if isinstance(value, date):
        return moment_of(value, zone)
    if not isinstance(value, str):
        return None
    partial = _PARTIAL.fullmatch(value.strip())
    if partial:
        return _partial(*partial.groups())
    moment = parse_fhir_datetime(value)
    return moment_of(moment, zone) if moment else None


def _partial(year: str, month: str | None, day: str | None) -> Moment | None:
    if day and month:
        return day_moment(int(year), int(month), int(day))
    if month:
        return month_moment(int(year), int(month))
    return year_moment(int(year))
