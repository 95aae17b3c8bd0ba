"""Parsing v2 ADT messages: fixtures from tests/fixtures/hl7 (see its README), charsets, escapes, dates,
broken input (nothing but Unparseable may come out of parse_message)."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.adt import checks
from smartapp.adt.contents import Diagnosis, PatientIdentifier, Person
from smartapp.adt.parse import Unparseable, parse_message, read_header
from smartapp.adt.v2_text import Delimiters, unescape
from smartapp.adt.v2_time import parse_birth_date, parse_dtm

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
NAMES = sorted(path.name for path in FIXTURES.glob("*.hl7"))
FAST = settings(max_examples=300, deadline=None, database=None)
EST = timezone(timedelta(hours=-5))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def assert_message_or_unparseable(raw: bytes) -> None:
    """The only outcomes for any bytes; both agree with read_header, which never raises."""
    header = read_header(raw)
    try:
        assert parse_message(raw).header == header
    except Unparseable as error:
        assert error.problem.reason == "unparseable" and error.header == header


def test_an_epic_admit_fills_the_header_and_the_patient():
    message = parse_message(fixture("a01_epic_admit.hl7"))
    header = message.header
    assert (header.sending_application, header.sending_facility) == ("EPIC", "SBXHOSP")
    assert (header.receiving_application, header.receiving_facility) == ("SMARTAPP", "SMARTAPP")
    assert header.message_time == datetime(2024, 3, 10, 14, 32, 15, tzinfo=EST)
    assert (header.message_type, header.trigger_event, header.control_id) == ("ADT", "A01", "EP100001")
    assert (header.processing_id, header.version, header.accept_ack, header.app_ack) == (
        "P",
        "2.5.1",
        "AL",
        "NE",
    )
    assert (header.charset, header.sender, header.enhanced_mode) == ("", "EPIC^SBXHOSP", True)
    assert message.event == "A01"
    assert message.event_time == datetime(2024, 3, 10, 14, 32, tzinfo=EST)
    assert message.identifiers == (
        PatientIdentifier("E100001", "SBX", "MR"),
        PatientIdentifier("500001", "EPI", "PI"),
    )
    assert (message.patient_name, message.birth_date, message.sex) == ("ALEX TESTPATIENT", "1970-04-12", "M")
    assert message.phone == "2175550100"  # XTN without component 1: area code + local number
    assert (message.patient_class, message.visit_number) == ("I", "V0000001")
    assert message.attending == Person(id="5678", name="SAM ATTENDING")
    assert message.admitted_at == datetime(2024, 3, 10, 14, 30, tzinfo=EST)
    assert (message.discharged_at, message.discharge_disposition) == (None, "")
    assert message.diagnoses == (Diagnosis("R06.02", "Shortness of breath", "I10"),)
    assert message.segments == ("MSH", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "AL1", "DG1")


def test_a_discharge_reads_each_diagnosis_the_disposition_and_the_discharge_time():
    message = parse_message(fixture("a03_epic_discharge.hl7"))
    assert message.event == "A03"
    assert message.discharged_at == datetime(2024, 3, 14, 10, 15, tzinfo=EST)
    assert message.discharge_disposition == "01"
    assert message.phone == "(217)555-0100"
    assert message.diagnoses == (
        Diagnosis("I50.9", "Heart failure, unspecified", "I10"),
        Diagnosis("E11.9", "Type 2 diabetes mellitus without complications", "I10"),
    )


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("a04_cerner_register.hl7", "A04"),
        ("a08_update_structure.hl7", "A08"),
        ("a11_cancel_admit.hl7", "A11"),
        ("a13_cancel_discharge.hl7", "A13"),
    ],
)
def test_each_event_is_read_from_msh_9(name, event):
    message = parse_message(fixture(name))
    assert message.event == event == message.header.trigger_event
    assert message.identifiers[0].value


def test_a_cerner_registration_keeps_every_identifier_and_an_untimed_local_time(settings):
    settings.TIME_ZONE = "America/Chicago"
    message = parse_message(fixture("a04_cerner_register.hl7"))
    assert message.identifiers == (
        PatientIdentifier("C200002", "SBX", "MR"),
        PatientIdentifier("C9002", "CMRN", "CMRN"),
    )
    assert message.header.message_time == datetime(2024, 4, 2, 9, 15, tzinfo=ZoneInfo("America/Chicago"))
    assert (message.patient_class, message.visit_number, message.header.app_ack) == ("O", "V0000002", "")


def test_a_v23_message_ignores_the_ts_precision_component_and_uses_settings_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    message = parse_message(fixture("a03_meditech_v23.hl7"))
    new_york = ZoneInfo("America/New_York")
    assert message.header.version == "2.3"
    assert message.header.message_type == "ADT" and message.event == "A03"
    assert message.event_time == datetime(2004, 3, 15, 9, 28, tzinfo=new_york)
    assert message.admitted_at == datetime(2004, 3, 10, 12, 0, tzinfo=new_york)
    assert message.discharged_at == datetime(2004, 3, 15, 9, 15, tzinfo=new_york)
    assert message.birth_date == "1952-07-04"
    assert message.diagnoses == (Diagnosis("428.0", "CONGESTIVE HEART FAILURE", "I9"),)


def test_a_latin1_message_is_decoded_by_msh_18():
    raw = fixture("a01_latin1.hl7")
    assert "MÜLLER".encode("latin-1") in raw
    message = parse_message(raw)
    assert message.header.charset == "8859/1"
    assert message.patient_name == "JOSÉ MÜLLER-GÓMEZ"
    assert message.attending.name == "HÉLÈNE DUPRÉ"
    assert message.birth_date == "1960-02-29"


def test_a_utf8_message_is_decoded_by_msh_18_and_takes_the_first_name_repetition():
    message = parse_message(fixture("a01_utf8.hl7"))
    assert message.header.charset == "UNICODE UTF-8"
    assert message.patient_name == "花子 山田"
    assert message.attending.name == "ZOË ŁUKASIEWICZ"
    assert message.header.message_time == datetime(2024, 6, 1, 9, tzinfo=timezone(timedelta(hours=9)))


def test_the_utf8_alias_is_accepted_and_an_empty_msh_18_reads_utf8_bytes_leniently():
    utf8 = fixture("a01_utf8.hl7")
    assert parse_message(utf8.replace(b"|UNICODE UTF-8", b"|UTF-8")).patient_name == "花子 山田"
    assert parse_message(utf8.replace(b"|UNICODE UTF-8", b"|")).patient_name == "花子 山田"
    latin1_without_msh18 = fixture("a01_latin1.hl7").replace(b"|8859/1", b"|")
    assert parse_message(latin1_without_msh18).patient_name == "JOSÉ MÜLLER-GÓMEZ"


def test_escape_sequences_are_unescaped_in_every_text_field():
    message = parse_message(fixture("a08_escapes.hl7"))
    assert message.identifiers == (PatientIdentifier("E100&12", "SBX", "MR"),)
    # PID-5: family "O\S\BRIEN \T\ SONS", given "\H\PAT\N\ \XC3A9\\E\" (highlight dropped, hex, escape)
    assert message.patient_name == "PAT é\\ O^BRIEN & SONS"
    assert message.attending.name == "SAM O~NEIL"
    assert message.visit_number == "V^0000012"


def test_z_segments_lf_separators_and_any_segment_order_are_accepted():
    raw = fixture("a03_zsegments_lf.hl7")
    assert b"\r" not in raw
    message = parse_message(raw)
    assert message.segments == ("MSH", "EVN", "ZEV", "PID", "DG1", "PV1", "ZPV", "DG1")
    assert [diagnosis.code for diagnosis in message.diagnoses] == ["I50.9", "N18.3"]
    assert message.visit_number == "V0000001"
    assert parse_message(raw.replace(b"\n", b"\r\n")) == message


def test_non_default_delimiters_come_from_msh_1_and_msh_2():
    message = parse_message(fixture("a03_custom_delimiters.hl7"))
    header = message.header
    assert (header.field_separator, header.encoding_characters) == ("!", "@#$%")
    assert (header.message_type, header.trigger_event, header.control_id) == ("ADT", "A03", "LG!0008")
    assert message.identifiers == (
        PatientIdentifier("E100001", "SBX", "MR"),
        PatientIdentifier("L77", "LEGACY", "PI"),
    )
    assert message.attending == Person("5678", "SAM ATTENDING")
    assert message.discharged_at == datetime(2024, 3, 14, 10, 15, tzinfo=EST)


def test_an_evn_1_fills_the_event_only_when_msh_9_has_none():
    raw = fixture("a03_meditech_v23.hl7").replace(b"|ADT^A03|", b"|ADT|")
    assert parse_message(raw).event == "A03"
    assert parse_message(raw).header.trigger_event == ""


def test_an_assigning_authority_sent_as_a_universal_id_only_is_read():
    raw = fixture("a11_cancel_admit.hl7").replace(
        b"E100001^^^SBX^MR", b"E100001^^^&2.16.840.1.113883.3.1&ISO^MR"
    )
    assert parse_message(raw).identifiers == (PatientIdentifier("E100001", "2.16.840.1.113883.3.1", "MR"),)


def test_an_unknown_charset_is_unparseable_with_the_header_still_read():
    with pytest.raises(Unparseable) as caught:
        parse_message(fixture("a01_unknown_charset.hl7"))
    assert caught.value.problem == checks.UNKNOWN_CHARSET
    assert caught.value.header.control_id == "EU100002"
    assert caught.value.header.charset == "ISO IR100"


def test_bytes_that_are_not_the_declared_charset_are_unparseable():
    raw = fixture("a01_utf8.hl7").replace("山田".encode(), b"\xff\xfe")
    with pytest.raises(Unparseable) as caught:
        parse_message(raw)
    assert caught.value.problem == checks.BAD_ENCODING
    assert caught.value.header.control_id == "JP100001"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n",
        b"PID|1||E1^^^SBX^MR\r",
        b"MSH|^~\\&",
        b"MSH|^~|EPIC|SBXHOSP\r",  # MSH-2 too short
        b"MSH|^^\\&|EPIC|SBXHOSP\r",  # delimiters not distinct
        b"MSHA^~\\&AEPIC\r",  # a letter as field separator
    ],
)
def test_without_a_usable_msh_there_is_no_header(raw):
    with pytest.raises(Unparseable) as caught:
        parse_message(raw)
    assert caught.value.problem == checks.UNPARSEABLE
    assert caught.value.header is None
    assert read_header(raw) is None


@pytest.mark.parametrize(
    "broken",
    [
        b"this is not a segment",
        b"pid|1||lowercase",
        b"MSH|^~\\&|EPIC|SBXHOSP|SMARTAPP|SMARTAPP|20240314||ADT^A03|SECOND|P|2.5.1",
    ],
)
def test_a_broken_segment_is_unparseable_but_the_header_still_addresses_the_ar(broken):
    raw = fixture("a03_epic_discharge.hl7") + broken + b"\r"
    with pytest.raises(Unparseable) as caught:
        parse_message(raw)
    assert caught.value.problem == checks.UNPARSEABLE
    assert caught.value.header == read_header(raw) == parse_message(fixture("a03_epic_discharge.hl7")).header


def test_read_header_reads_an_unknown_charset_message_as_latin1():
    header = read_header(fixture("a01_unknown_charset.hl7"))
    assert (header.sender, header.control_id, header.trigger_event) == ("EPIC^SBXHOSP", "EU100002", "A01")


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_give_a_message_or_unparseable_and_read_header_never_raises(raw):
    assert_message_or_unparseable(raw)


@FAST
@given(st.sampled_from(NAMES), st.data())
def test_any_truncation_or_corruption_of_a_fixture_gives_a_message_or_unparseable(name, data):
    raw = fixture(name)
    cut = data.draw(st.integers(0, len(raw)))
    noise = data.draw(st.binary(max_size=8))
    at = data.draw(st.integers(0, cut))
    for variant in (raw[:cut], raw[:at] + noise + raw[at:cut]):
        assert_message_or_unparseable(variant)


@FAST
@given(st.text(alphabet="\\FSTRE.brspX0123456789ABCDEFHNCMZxyz ^&|~", max_size=40))
def test_unescape_never_raises(text):
    assert isinstance(unescape(text, Delimiters(), "utf-8"), str)


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        (r"A\F\B\S\C\T\D\R\E\E\F", "A|B^C&D~E\\F"),
        (r"caf\XE9\ ", "café "),  # latin-1 byte: the message's codec is iso8859-1 here
        (r"line\.br\next", "line\nnext"),
        (r"a\.sp2\b\.sk3\c", "a\n\nb   c"),
        (r"\H\bold\N\ \.fi\\.in4\\C2842\\Zlocal\x", "bold x"),
        (r"lone \ escape", "lone \\ escape"),
        (r"unknown \Q\ kept", "unknown \\Q\\ kept"),
        (r"bad hex \XZZ\ kept", "bad hex \\XZZ\\ kept"),
        (r"\.sp999999999\ ", "\n" * 100 + " "),  # bounded
    ],
)
def test_unescape(escaped, plain):
    assert unescape(escaped, Delimiters(), "iso8859-1") == plain


def test_unescape_decodes_hex_as_bytes_of_the_message_charset():
    assert unescape(r"\XC3A9\ ", Delimiters(), "utf-8") == "é "
    assert unescape(r"\XC3A9\ ", Delimiters(), "iso8859-1") == "Ã© "


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("202403", datetime(2024, 3, 1, tzinfo=UTC)),
        ("20240314", datetime(2024, 3, 14, tzinfo=UTC)),
        ("2024031410", datetime(2024, 3, 14, 10, tzinfo=UTC)),
        ("202403141015", datetime(2024, 3, 14, 10, 15, tzinfo=UTC)),
        ("20240314101530", datetime(2024, 3, 14, 10, 15, 30, tzinfo=UTC)),
        ("20240314101530.1234", datetime(2024, 3, 14, 10, 15, 30, 123400, tzinfo=UTC)),
        ("20240314101530.1234567", datetime(2024, 3, 14, 10, 15, 30, 123456, tzinfo=UTC)),
        ("20240314101530-0500", datetime(2024, 3, 14, 10, 15, 30, tzinfo=EST)),
        ("202403141015+0530", datetime(2024, 3, 14, 10, 15, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        (" 20240314 ", datetime(2024, 3, 14, tzinfo=UTC)),
    ],
)
def test_dtm_values(value, expected, settings):
    settings.TIME_ZONE = "UTC"
    parsed = parse_dtm(value)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value", ["", "20", "2024031", "20241301", "20240230", "202403141060", "2024+9900", "abc"]
)
def test_unreadable_dtm_values_are_none(value):
    assert parse_dtm(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19700412", "1970-04-12"),
        ("197004121230-0500", "1970-04-12"),
        ("197004", ""),
        ("19700231", ""),
        ("", ""),
    ],
)
def test_birth_dates_keep_the_date_as_written(value, expected):
    assert parse_birth_date(value) == expected


@FAST
@given(
    st.sampled_from(["MSH|^~\\&|", "MSH|^~\\&#|", "MSH!@#$%!"]),
    st.text(alphabet="MSHPIDV1EGZX0123|^~\\&!@#$%\r\n.bspé \x0b\x1c", max_size=150),
    st.sampled_from(["utf-8", "latin-1"]),
)
def test_delimiter_heavy_text_after_an_msh_gives_a_message_or_unparseable(prefix, text, encoding):
    assert_message_or_unparseable((prefix + text).encode(encoding))
