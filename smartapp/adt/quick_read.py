"""The listener's read of an inbound message: only what it checks and stores, split straight from the text.

parse.py (python-hl7) stays the parser of record; this reads the dozen values the listener needs (the
Header, the event, PID-3, PV1-19) with str.split, ~20x faster than hl7.parse (parse.py says why that
matters). Same decoding (charsets.py), same lines and delimiters (parse.segment_lines), same unescaping
(v2_text.py) and the same refusals: tests/adt/test_quick_read.py holds it to parse_message's answers over
the fixtures and fuzzed messages. The splitting is v2_split.py's.
"""

from dataclasses import dataclass

from smartapp.adt.contents import Header, PatientIdentifier
from smartapp.adt.parse import message_lines
from smartapp.adt.v2_split import FieldSplit

_READ = ("EVN", "PID", "PV1")  # besides MSH


@dataclass(frozen=True)
class ListenerRead:
    """What the listener checks (checks.message_problem reads header, event and identifiers, as it does on
    an AdtMessage) and what the inbox stores beside the raw bytes."""

    header: Header
    event: str = ""  # MSH-9.2, else EVN-1
    identifiers: tuple[PatientIdentifier, ...] = ()  # PID-3 repetitions with a CX-1
    visit_number: str = ""  # PV1-19 (CX-1)


def quick_read(raw: bytes) -> ListenerRead:
    """Read the listener's fields from one frame's bytes; raises Unparseable exactly where parse_message
    does, with the same Problem."""
    lines, delimiters, codec = message_lines(raw)
    first: dict[str, str] = {}
    for line in lines[1:]:
        if line[:3] in _READ and line[:3] not in first:
            first[line[:3]] = line
    split = FieldSplit(delimiters, codec)
    header = split.header(lines[0])
    evn, pid, pv1 = (split.fields(first.get(segment_id, "")) for segment_id in _READ)
    return ListenerRead(
        header=header,
        event=header.trigger_event or split.value(evn, 1),
        identifiers=split.identifiers(pid),
        visit_number=split.value(pv1, 19),
    )
