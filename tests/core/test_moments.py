"""smartapp.core.moments: the one spelling of days and instants, shared by the chart and the worklist
(FHIR strings are the chart's part: tests/chart/test_moments.py)."""

from datetime import UTC, date, datetime

import pytest

from smartapp.core.moments import Moment, day_moment, moment_of, month_moment, time_element


def test_an_instant_is_spelled_in_the_zone_with_its_abbreviation():
    moment = moment_of(datetime(2026, 12, 5, 19, 3, 9, 95317, tzinfo=UTC), "America/New_York")
    assert (moment.day, moment.day_time) == ("5 Dec 2026", "5 Dec 2026, 14:03 EST")
    assert moment.iso == "2026-12-05T14:03:09.095317-05:00"


def test_a_zone_without_an_abbreviation_shows_its_offset():
    moment = moment_of(datetime(2026, 1, 1, 12, tzinfo=UTC), "America/Sao_Paulo")
    assert moment.day_time == "1 Jan 2026, 09:00 -0300"


def test_a_day_is_never_shifted_and_a_naive_time_is_utc():
    assert moment_of(date(2026, 11, 20), "Pacific/Kiritimati").day_time == "20 Nov 2026"
    assert moment_of(datetime(2026, 11, 20, 2), "America/Chicago").day == "19 Nov 2026"


@pytest.mark.parametrize("value", [None, "2026-11-20", 20261120])
def test_only_dates_and_datetimes_are_moments(value):
    assert moment_of(value) is None


def test_impossible_days_and_months_are_none():
    assert day_moment(2026, 2, 30) is None and month_moment(2026, 13) is None
    assert month_moment(2026, 5).day == "May 2026"


def test_the_time_element_escapes_and_is_empty_for_none():
    moment = Moment(iso='"><x>', day="<b>", day_time="<i>", full="&")
    assert time_element(moment) == '<time datetime="&quot;&gt;&lt;x&gt;" title="&amp;">&lt;b&gt;</time>'
    assert ">&lt;i&gt;</time>" in time_element(moment, with_time=True)
    assert time_element(None) == ""
