from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import override_settings

from smartapp.chart.moments import Moment, readable_date

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_an_instant_reads_as_a_day_with_the_time_on_hover():
    moment = readable_date("2020-05-07T14:00:00Z", UTC)
    assert moment == Moment(
        iso="2020-05-07T14:00:00+00:00",
        day="7 May 2020",
        day_time="7 May 2020, 14:00 UTC",
        full="7 May 2020, 14:00 UTC",
    )


def test_an_instant_moves_to_the_configured_zone_across_midnight():
    moment = readable_date("2026-11-20T03:30:00Z", CHICAGO)
    assert (moment.day, moment.day_time) == ("19 Nov 2026", "19 Nov 2026, 21:30 CST")
    assert readable_date("2026-11-20T20:00:00Z", TOKYO).day == "21 Nov 2026"


def test_an_offset_in_the_value_is_honoured():
    assert readable_date("2020-05-07T23:30:00-05:00", UTC).day_time == "8 May 2020, 04:30 UTC"


def test_a_zone_may_be_named():
    assert readable_date("2020-07-01T12:00:00Z", "America/Chicago").day_time == "1 Jul 2020, 07:00 CDT"


@pytest.mark.parametrize(
    ("value", "day", "iso"),
    [
        ("2020", "2020", "2020"),
        ("2020-05", "May 2020", "2020-05"),
        ("1956-05-07", "7 May 1956", "1956-05-07"),
    ],
)
def test_partial_dates_are_never_shifted_and_hover_the_date_itself(value, day, iso):
    moment = readable_date(value, TOKYO)
    assert (moment.iso, moment.day, moment.day_time, moment.full) == (iso, day, day, day)


def test_python_dates_and_datetimes_are_read():
    assert readable_date(date(1956, 5, 7), CHICAGO).day == "7 May 1956"
    aware = datetime(2020, 5, 7, 14, 0, tzinfo=UTC)
    assert readable_date(aware, CHICAGO).day_time == "7 May 2020, 09:00 CDT"


def test_a_naive_datetime_is_read_as_utc():
    assert readable_date(datetime(2020, 5, 7, 2, 0), CHICAGO).day_time == "6 May 2020, 21:00 CDT"


@pytest.mark.parametrize(
    "value", [None, "", "garbage", "2020-13", "2020-02-30", "2020-05-07T25:00:00Z", "x" * 500, 12, [], {}]
)
def test_garbage_is_none(value):
    assert readable_date(value, UTC) is None


def test_an_unknown_zone_name_falls_back_to_utc():
    assert readable_date("2020-05-07T14:00:00Z", "Not/AZone").day_time == "7 May 2020, 14:00 UTC"


def render(source: str, **context) -> str:
    return Template("{% load chart_format %}" + source).render(Context(context))


def test_the_when_filter_renders_a_time_element():
    html = render("{{ v|when }}", v="2020-05-07T14:00:00Z")
    assert (
        html == '<time datetime="2020-05-07T14:00:00+00:00" title="7 May 2020, 14:00 UTC">7 May 2020</time>'
    )


def test_the_when_time_filter_shows_the_time():
    assert ">7 May 2020, 14:00 UTC</time>" in render("{{ v|when_time }}", v="2020-05-07T14:00:00Z")
    assert ">7 May 2020</time>" in render("{{ v|when_time }}", v="2020-05-07")


def test_missing_or_garbage_falls_through_to_default():
    assert render('{{ v|when|default:"—" }}', v=None) == "—"
    assert render('{{ v|when_time|default:"—" }}', v="<script>") == "—"


@override_settings(TIME_ZONE="America/Chicago")
def test_the_filters_use_the_configured_zone():
    assert ">19 Nov 2026, 21:30 CST</time>" in render("{{ v|when_time }}", v="2026-11-20T03:30:00Z")
