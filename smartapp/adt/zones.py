"""The zone of a feed's local times: HL7 v2 times sent without an offset (MSH-7, EVN-2, PV1-44/45) are the
hospital's wall-clock time, read in its registration's `[adt] time_zone`, else settings.TIME_ZONE."""

from django.conf import settings
from django.utils import timezone

from smartapp.ehr import configs

from .contents import AdtMessage
from .parse import parse_message


def feed_zone(connection: str) -> str:
    """The IANA zone name of registration `connection`'s feed (settings.TIME_ZONE when it names none)."""
    config = configs.by_name(connection)
    return (config.adt.time_zone if config and config.adt else "") or settings.TIME_ZONE


def parse_in_zone(raw: bytes, zone: str) -> AdtMessage:
    """parse_message with offset-less times read in `zone` (v2_time.parse_dtm reads the current zone)."""
    with timezone.override(zone):
        return parse_message(raw)
