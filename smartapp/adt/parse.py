"""Parse an HL7 v2 ADT message (the bytes of one MLLP frame) into contents.AdtMessage.

python-hl7 (`hl7` on PyPI) is the parser of record for the full parse (processing, the review page): it is
lenient with the many v2 versions interface engines send and small (hl7apy validates against each version's
structures and is several times slower). The listener does not call it: hl7.parse builds a container for
every field, repetition and component of the segments it splits (~180 for a typical A03, mostly empty PV1
fields), ~0.5 ms a message (measured, bench/README.md), which alone would cap a listener near 1,000 msg/s on
one core. quick_read.py reads the listener's few fields with a split of our own, from the same lines and
delimiters (segment_lines below), and must give the same answers (tests/adt/test_quick_read.py).
Decoding (charsets.py), unescaping (v2_text.py) and dates (v2_time.py) are ours. Anything wrong with the
bytes raises Unparseable carrying what could be read of the header, so that the AR can still be addressed.
"""

import re

import hl7
from hl7.exceptions import ParseException

from smartapp.adt.charsets import codec_for, declared_charset, decode, decode_lenient
from smartapp.adt.checks import BAD_ENCODING, UNKNOWN_CHARSET, UNPARSEABLE, Problem
from smartapp.adt.contents import AdtMessage, Diagnosis, Header, PatientIdentifier, Person
from smartapp.adt.v2_split import FieldSplit
from smartapp.adt.v2_text import Delimiters, unescape
from smartapp.adt.v2_time import parse_birth_date, parse_dtm

_LINE_BREAK = re.compile(r"\r\n|\n|\r")  # v2 ends segments with CR; engines and files also use LF, CRLF
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
# Only these are split into fields: an Epic A03 can carry dozens of NK1/AL1/OBX/IN1 segments we never read.
_READ_SEGMENTS = ("MSH", "EVN", "PID", "PV1", "DG1")


class Unparseable(Exception):
    """The bytes are not a message we can read; .problem says why, .header is what could be read of MSH."""

    def __init__(self, problem: Problem, header: Header | None):
        super().__init__(problem.reason)
        self.problem = problem
        self.header = header


def parse_message(raw: bytes) -> AdtMessage:
    """Decode raw by MSH-18, split it by its own delimiters and read the ADT fields; raises Unparseable."""
    lines, delimiters, codec = message_lines(raw)
    try:
        fields = _Fields(lines, delimiters, codec)
    except ValueError:
        raise Unparseable(UNPARSEABLE, read_header(raw)) from None
    return _adt_message(fields, FieldSplit(delimiters, codec).header(lines[0]))


def message_lines(raw: bytes) -> tuple[list[str], Delimiters, str]:
    """The decoded message's segment lines (MSH first), its delimiters and its codec: what both readers
    (this full parse and quick_read) start from; Unparseable with the same Problem for both."""
    codec = codec_for(declared_charset(raw))
    if codec is None:
        raise Unparseable(UNKNOWN_CHARSET, read_header(raw))
    try:
        text = decode(raw, codec)
    except UnicodeDecodeError:
        raise Unparseable(BAD_ENCODING, read_header(raw)) from None
    try:
        lines, delimiters = segment_lines(text)
    except ValueError:
        raise Unparseable(UNPARSEABLE, read_header(raw)) from None
    return lines, delimiters, codec


def read_header(raw: bytes) -> Header | None:
    """Best effort: the MSH of bytes too broken to parse (unknown charset, bad segments), or None when
    even MSH-1/MSH-2 are unusable. Never raises."""
    codec = codec_for(declared_charset(raw)) or "latin-1"  # an unknown charset still has an ASCII MSH
    first_line = _LINE_BREAK.split(decode_lenient(raw, codec).strip(), maxsplit=1)[0]
    try:
        return FieldSplit(_delimiters(first_line), codec).header(first_line)
    except ValueError:
        return None


class _Fields:
    """Leaf values of a split message by HL7 position, unescaped and stripped; "" where absent."""

    def __init__(self, lines: list[str], delimiters: Delimiters, codec: str):
        self.delimiters = delimiters
        self.ids = tuple(line[:3] for line in lines)
        try:
            self.message = hl7.parse("\r".join(line for line in lines if line[:3] in _READ_SEGMENTS))
        except (ParseException, IndexError, ValueError) as error:
            raise ValueError("hl7 could not split the message") from error
        self.codec = codec

    def segments(self, segment_id: str) -> list:
        """Every segment with this id, in order (only the ids in _READ_SEGMENTS are available)."""
        return [segment for segment in self.message if segment[0][0] == segment_id]

    def first(self, segment_id: str) -> list:
        """The first segment with this id, or an empty one."""
        return next(iter(self.segments(segment_id)), [])

    def value(
        self, segment: list, field: int, component: int = 1, *, repetition: int = 1, sub: int = 1
    ) -> str:
        """SEG-field.component.subcomponent of one repetition (MSH-n counts MSH-1 like the standard)."""
        if field >= len(segment):
            return ""
        return unescape(
            _leaf(segment[field], repetition, component, sub), self.delimiters, self.codec
        ).strip()

    def repetitions(self, segment: list, field: int) -> int:
        """How many repetitions a field has (0 when absent)."""
        if field >= len(segment):
            return 0
        node = segment[field]
        return 1 if isinstance(node, str) else len(node)


def segment_lines(text: str) -> tuple[list[str], Delimiters]:
    """The message's non-blank lines (MSH first) and the delimiters its MSH declares; ValueError when there
    is no usable MSH-1/MSH-2 or a line is not a segment."""
    lines = [line for line in _LINE_BREAK.split(text.strip()) if line.strip()]
    delimiters = _delimiters(lines[0] if lines else "")
    for line in lines[1:]:
        if not _is_segment(line, delimiters.field):
            raise ValueError("not a segment")
    return lines, delimiters


def _delimiters(msh: str) -> Delimiters:
    if not msh.startswith("MSH") or len(msh) < 9:
        raise ValueError("no MSH")
    separator = msh[3]
    end = msh.find(separator, 4)
    delimiters = Delimiters.from_msh(separator, msh[4:end]) if end != -1 else None
    if delimiters is None:
        raise ValueError("unusable MSH-1/MSH-2")
    return delimiters


def _is_segment(line: str, field_separator: str) -> bool:
    # A second MSH would be a second message: an MLLP block carries exactly one.
    return bool(_SEGMENT_ID.fullmatch(line[:3])) and line[3:4] in ("", field_separator) and line[:3] != "MSH"


def _leaf(node, *positions: int) -> str:
    # python-hl7 stops splitting where no deeper delimiter occurs, so a level may already be a plain string:
    # it then stands for position 1 of every deeper level.
    for position in positions:
        if isinstance(node, str):
            return node if position == 1 else ""
        if position > len(node):
            return ""
        node = node[position - 1]
    while not isinstance(node, str):
        node = node[0] if node else ""
    return node


def _adt_message(fields: _Fields, header: Header) -> AdtMessage:
    evn, pid, pv1 = fields.first("EVN"), fields.first("PID"), fields.first("PV1")
    value = fields.value
    return AdtMessage(
        header=header,
        # MSH-9.2 first: EVN-1 is "retained for backward compatibility only" (v2.5.1 3.4.1.1).
        event=header.trigger_event or value(evn, 1),
        event_time=parse_dtm(value(evn, 2)),
        identifiers=_identifiers(fields, pid),
        patient_name=_display_name(value(pid, 5, 2), value(pid, 5, 1)),
        birth_date=parse_birth_date(value(pid, 7)),
        sex=value(pid, 8),
        phone=value(pid, 13) or value(pid, 13, 6) + value(pid, 13, 7),
        patient_class=value(pv1, 2),
        visit_number=value(pv1, 19),
        attending=Person(id=value(pv1, 7), name=_display_name(value(pv1, 7, 3), value(pv1, 7, 2))),
        admitted_at=parse_dtm(value(pv1, 44)),
        discharged_at=parse_dtm(value(pv1, 45)),
        discharge_disposition=value(pv1, 36),
        diagnoses=_diagnoses(fields),
        segments=fields.ids,
    )


def _identifiers(fields: _Fields, pid: list) -> tuple[PatientIdentifier, ...]:
    found = []
    for repetition in range(1, fields.repetitions(pid, 3) + 1):
        value = fields.value(pid, 3, 1, repetition=repetition)
        # CX-4 is an HD: its namespace id, else its universal id (an OID some engines send alone).
        authority = fields.value(pid, 3, 4, repetition=repetition) or fields.value(
            pid, 3, 4, repetition=repetition, sub=2
        )
        if value:
            found.append(PatientIdentifier(value, authority, fields.value(pid, 3, 5, repetition=repetition)))
    return tuple(found)


def _diagnoses(fields: _Fields) -> tuple[Diagnosis, ...]:
    coded = (
        Diagnosis(fields.value(dg1, 3, 1), fields.value(dg1, 3, 2), fields.value(dg1, 3, 3))
        for dg1 in fields.segments("DG1")
    )
    return tuple(diagnosis for diagnosis in coded if diagnosis.code or diagnosis.text)


def _display_name(given: str, family: str) -> str:
    return f"{given} {family}".strip()
