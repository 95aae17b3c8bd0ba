"""The listener's quick read gives parse_message's answers: the same Header, event, PID-3 identifiers, visit
number and content Problem, or the same Unparseable (problem and header), for the fixtures and for fuzzed
and mutated messages."""

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smartapp.adt import checks
from smartapp.adt.checks import message_problem
from smartapp.adt.parse import Unparseable, parse_message
from smartapp.adt.quick_read import quick_read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
NAMES = sorted(path.name for path in FIXTURES.glob("*.hl7"))
RAWS = [(FIXTURES / name).read_bytes() for name in NAMES]
FUZZ = settings(max_examples=400, deadline=None, database=None)

# Bytes that matter to a v2 split: every delimiter (and the custom ones a fixture uses), line breaks,
# escape sequences, whitespace, non-ASCII and bytes that are not UTF-8.
PIECES = [
    b"|", b"^", b"~", b"\\", b"&", b"#", b"!", b"$", b"*", b"\r", b"\n", b"\r\n", b" ", b"\t", b"",
    b"\\F\\", b"\\S\\", b"\\T\\", b"\\R\\", b"\\E\\", b"\\X41\\", b"\\.br\\", b"\\H\\", b"\\Zx\\",
    b"A03", b"A01", b"A99", b"ADT", b"ORU", b"MRN1", b"SBX", b"V77", b"20250301120000", b"2.5.1",
    b"PID|", b"PV1|", b"EVN|", b"MSH|", b"ZXY|", b"pid|", b"\xc3\xa9", b"\xe9", b"\xff", b"\x00", b"8859/1",
    b"UNICODE UTF-8", b"ISO IR87", b"AL", b"NE",
]  # fmt: skip


def outcome(read, raw: bytes) -> tuple:
    """What the listener acts on: the refusal, or the fields it stores and the content problem."""
    try:
        message = read(raw)
    except Unparseable as error:
        return ("unparseable", error.problem, error.header)
    fields = (message.header, message.event, message.identifiers, message.visit_number)
    return (*fields, message_problem(message))


def assert_same(raw: bytes) -> None:
    assert outcome(quick_read, raw) == outcome(parse_message, raw)


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_reads_the_same(name):
    assert_same((FIXTURES / name).read_bytes())


def test_the_fixtures_cover_acceptance_and_each_kind_of_refusal():
    # The comparisons above are only worth something if the fixtures reach both sides of every check.
    found = {outcome(quick_read, raw)[-1] for raw in RAWS if outcome(quick_read, raw)[0] != "unparseable"}
    refused = {outcome(quick_read, raw)[1] for raw in RAWS if outcome(quick_read, raw)[0] == "unparseable"}
    assert {None, checks.MISSING_CONTROL_ID, checks.MISSING_PID3, checks.UNSUPPORTED_MESSAGE_TYPE} <= found
    assert checks.UNKNOWN_CHARSET in refused


@FUZZ
@given(
    st.sampled_from(RAWS),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 12), st.lists(st.sampled_from(PIECES), max_size=4)),
        min_size=1,
        max_size=6,
    ),
)
@example(RAWS[0], [(0.0, 3, [b"MSH|^~\\&|"])])  # a second MSH in the frame
@example(RAWS[0], [(0.5, 0, [b"\rPID\r"])])  # a bare segment id
def test_mutated_fixtures_read_the_same(raw, edits):
    for position, cut, pieces in edits:
        at = int(position * len(raw))
        raw = raw[:at] + b"".join(pieces) + raw[at + cut :]
    assert_same(raw)


SEGMENT_IDS = [b"EVN", b"PID", b"PV1", b"DG1", b"ZPD", b"PD1"]


def field_values():
    return st.lists(st.sampled_from(PIECES[:15] + PIECES[24:33] + [b"X", b"Y"]), max_size=5).map(b"".join)


@FUZZ
@given(
    st.sampled_from([b"|^~\\&", b"#!$*%", b"|^~\\&#", b"|^~\\", b"||~\\&", b"|^~ &", b"|^~\\&|"]),
    st.lists(field_values(), min_size=0, max_size=19),
    st.lists(
        st.tuples(st.sampled_from(SEGMENT_IDS), st.lists(field_values())),
        max_size=5,
    ),
    st.sampled_from([b"\r", b"\n", b"\r\n"]),
)
def test_generated_messages_read_the_same(delimiters, msh_fields, segments, line_break):
    field = delimiters[:1]
    lines = [b"MSH" + delimiters + field + field.join(msh_fields)]
    lines += [segment_id + field + field.join(values) for segment_id, values in segments]
    assert_same(line_break.join(lines))
