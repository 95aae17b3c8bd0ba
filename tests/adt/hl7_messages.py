"""Raw HL7 v2 ADT messages for the processing tests, and storing them as the listener does (inbox_store)."""

import itertools
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from smartapp.adt.inbox import Received, inbox_store
from smartapp.adt.models import InboundMessage
from smartapp.adt.parse import parse_message

# Three days ago at 08:00 UTC: inside every tracking horizon.
START = (datetime.now(UTC) - timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
_control_ids = itertools.count(1)


def raw(
    event: str,
    minutes: int = 0,
    *,
    visit: str = "V1",
    mrn: str = "MRN-1",
    patient_class: str = "I",
    processing_id: str = "P",
    app_ack: str = "",
    name: str = "Doe^Ann",
    birth: str = "19500104",
    phone: str = "555-0100",
    discharged: str = "",
    diagnosis: str = "",
    facility: str = "SBXHOSP",
) -> bytes:
    """One ADT message; MSH-7 is START + `minutes`."""
    when = (START + timedelta(minutes=minutes)).strftime("%Y%m%d%H%M%S")
    control = f"CTL{next(_control_ids):05d}"
    acks = f"|||AL|{app_ack}" if app_ack else ""
    pv1 = ["PV1", "1", patient_class, "", "", "", "", "D1^One^Dr"] + [""] * 11 + [visit] + [""] * 26
    pv1[45] = discharged
    segments = [
        f"MSH|^~\\&|ENGINE|{facility}|SMARTAPP|SMARTAPP|{when}+0000||ADT^{event}^ADT_{event}|{control}|"
        f"{processing_id}|2.5.1{acks}",
        f"EVN|{event}|{when}+0000",
        f"PID|1||{mrn}^^^SBX^MR||{name}||{birth}|F|||||{phone}",
        "|".join(pv1).rstrip("|"),
    ]
    if diagnosis:
        segments.append(f"DG1|1||{diagnosis}")
    return ("\r".join(segments) + "\r").encode()


def store(*messages: bytes) -> list[InboundMessage]:
    """Store these messages as the listener would, in one batch."""
    items = [Received(raw=m, message=parse_message(m), received_at=timezone.now()) for m in messages]
    stored = inbox_store(items, listener="test")
    return list(InboundMessage.objects.filter(pk__in=[s.message_id for s in stored]).order_by("pk"))
