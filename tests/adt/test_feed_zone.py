"""A feed's local times: HL7 v2 times sent without an offset are read in the registration's `[adt]
time_zone` (zones.py), else TIME_ZONE; the parse cache keeps each zone's parse apart."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartapp.adt import process
from smartapp.adt.parse_cache import ParseCache
from smartapp.adt.zones import feed_zone, parse_in_zone
from smartapp.referrals.models import Referral

from .hl7_messages import START, raw, store
from .registrations import sandbox_adt_with

# `ehr` is test_process's fake EHR fixture, imported: each test's `ehr` argument is that fixture.
# ruff: noqa: F811
from .test_process import ehr  # noqa: F401
from .test_process import process as process_due

pytestmark = pytest.mark.django_db

AUCKLAND = "Pacific/Auckland"


@pytest.fixture
def feed_in(tmp_path, settings, monkeypatch):
    """Set the sandbox registration's `[adt] time_zone`; a fresh process-wide parse cache."""
    monkeypatch.setattr(process, "parse_cache", ParseCache())

    def configure(zone: str) -> None:
        sandbox_adt_with(tmp_path, settings, "time_zone", zone)

    return configure


def local(message: bytes) -> bytes:
    """The message with its times sent without an offset, as many engines send them."""
    return message.replace(b"+0000", b"")


def test_a_registration_names_its_feeds_zone_else_the_apps(feed_in, settings):
    settings.TIME_ZONE = "UTC"
    assert feed_zone("sandbox") == "UTC"
    feed_in(AUCKLAND)
    assert feed_zone("sandbox") == AUCKLAND
    assert feed_zone("no-such-registration") == "UTC"


def test_a_time_without_an_offset_is_the_hospitals_wall_clock(settings):
    settings.TIME_ZONE = "UTC"
    message = local(raw("A03", 0, discharged="20260115080000"))
    in_auckland = parse_in_zone(message, AUCKLAND)  # UTC+13 in January (daylight time)
    assert in_auckland.discharged_at == datetime(2026, 1, 14, 19, 0, tzinfo=UTC)
    assert in_auckland.header.message_time == START.replace(tzinfo=ZoneInfo(AUCKLAND))  # START's clock there
    assert parse_in_zone(message, "UTC").discharged_at == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    with_offset = raw("A03", 0, discharged="20260115080000+0000")
    assert parse_in_zone(with_offset, AUCKLAND).discharged_at == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def test_the_parse_cache_keeps_each_zones_parse_apart(settings):
    settings.TIME_ZONE = "UTC"
    cache, message = ParseCache(), local(raw("A03", 0, discharged="20260115080000"))
    assert cache.parse(message, zone=AUCKLAND).discharged_at == datetime(2026, 1, 14, 19, 0, tzinfo=UTC)
    assert cache.parse(message).discharged_at == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert len(cache) == 2


@pytest.mark.parametrize(("zone", "state"), [(AUCKLAND, "cancelled"), ("UTC", "finished")])
def test_the_feeds_zone_decides_the_order_of_its_messages(ehr, feed_in, settings, zone, state):
    # The discharge is sent in Auckland's wall-clock time: START's clock there, 12 or 13 hours before START
    # in UTC. The cancel, with an offset, 5 hours before START in UTC: after the discharge read in
    # Auckland's zone, before it if the discharge were read in UTC.
    settings.TIME_ZONE = "UTC"
    feed_in(zone)
    assert START.astimezone(ZoneInfo(AUCKLAND)).utcoffset() >= timedelta(hours=12)  # more than 5 ahead
    store(raw("A01", -24 * 60), local(raw("A03", 0)), raw("A13", -5 * 60))
    assert process_due().processed == 3
    row = Referral.objects.get(kind="discharge")
    assert row.request_status == state


def sent_now_in(zone: str) -> bytes:
    """An A08 whose MSH-7 and EVN-2 are this moment's wall clock in `zone`, without an offset."""
    message = raw("A08", 0, visit="")
    stamp = START.strftime("%Y%m%d%H%M%S").encode() + b"+0000"
    return message.replace(stamp, datetime.now(ZoneInfo(zone)).strftime("%Y%m%d%H%M%S").encode())


@pytest.mark.parametrize(
    ("hospital", "registered", "warning"),
    [
        (AUCKLAND, "", "adt.msh7_ahead connection=sandbox count=1"),  # read as UTC: hours in the future
        ("America/New_York", "", "adt.msh7_behind connection=sandbox count=1"),  # read as UTC: hours late
        ("America/New_York", "America/New_York", ""),
        (AUCKLAND, AUCKLAND, ""),
    ],
)
def test_a_feed_read_in_the_wrong_zone_is_named_in_a_warning_without_phi(
    ehr,
    feed_in,
    settings,
    caplog,
    hospital,
    registered,
    warning,
):
    settings.TIME_ZONE = "UTC"
    if registered:
        feed_in(registered)
    store(sent_now_in(hospital))
    with caplog.at_level("WARNING", logger="smartapp.adt.process"):
        assert process_due().processed == 1
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith("adt.msh7_")]
    assert warnings == ([f"{warning} hint=check_the_registrations_adt_time_zone"] if warning else [])
    assert all("Doe" not in line and "MRN" not in line for line in warnings)
