"""ACK messages: exact segments for each code, enhanced mode, charset and delimiter echo, header-less AR."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.adt import checks
from smartapp.adt.ack import accept_ack_wanted, ack_payload
from smartapp.adt.contents import Header
from smartapp.adt.parse import Unparseable, parse_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
NOW = datetime(2024, 3, 14, 10, 16, tzinfo=timezone(timedelta(hours=-5)))
MSH_TAIL = "|SMARTAPP|SMARTAPP|EPIC|SBXHOSP|20240314101600-0500||ACK^A03^ACK|ACK000001|P|2.5.1"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def header_of(name: str) -> Header:
    return parse_message(fixture(name)).header


def segments(payload: bytes, encoding: str = "ascii") -> list[str]:
    text = payload.decode(encoding)
    assert text.endswith("\r") and "\n" not in text
    return text.split("\r")[:-1]


def original_mode(name: str = "a03_epic_discharge.hl7") -> Header:
    return dataclasses.replace(header_of(name), accept_ack="", app_ack="")


def test_an_aa_swaps_sender_and_receiver_and_echoes_the_control_id():
    payload = ack_payload(original_mode(), "AA", now=NOW, control_id="ACK000001")
    assert segments(payload) == ["MSH|^~\\&" + MSH_TAIL, "MSA|AA|EP100002"]


def test_an_ae_carries_an_err_segment_with_location_code_severity_and_text():
    payload = ack_payload(original_mode(), "AE", problem=checks.MISSING_PID3, now=NOW, control_id="ACK000001")
    text = "PID-3 (patient identifier list) has no identifier."
    assert segments(payload) == [
        "MSH|^~\\&" + MSH_TAIL,
        f"MSA|AE|EP100002|{text}",
        f"ERR||PID^1^3|101^Required field missing^HL70357|E||||{text}",
    ]


def test_an_ar_for_an_unsupported_event_locates_msh_9_2():
    header = original_mode("a02_transfer.hl7")
    payload = ack_payload(header, "AR", problem=checks.UNSUPPORTED_EVENT, now=NOW, control_id="ACK000001")
    msh, msa, err = segments(payload)
    assert msh.split("|")[8] == "ACK^A02^ACK" and msa.startswith("MSA|AR|EP100009|")
    assert err.split("|")[2:5] == ["MSH^1^9^1^2", "201^Unsupported event code^HL70357", "E"]


def test_an_ae_for_storage_unavailable_has_no_location():
    payload = ack_payload(original_mode(), "AE", problem=checks.STORAGE_UNAVAILABLE, now=NOW, control_id="A2")
    err = segments(payload)[2]
    assert err == (
        "ERR|||207^Application internal error^HL70357|E||||The message was not stored; send it again."
    )


@pytest.mark.parametrize("code", ["CA", "CE", "CR"])
def test_an_enhanced_mode_accept_ack_asks_for_no_acknowledgement_itself(code):
    problem = None if code == "CA" else checks.STORAGE_UNAVAILABLE
    payload = ack_payload(
        header_of("a03_epic_discharge.hl7"), code, problem=problem, now=NOW, control_id="ACK000001"
    )
    msh, msa = segments(payload)[:2]
    assert msh == "MSH|^~\\&" + MSH_TAIL + "|||NE|NE"
    assert msa.split("|")[:3] == ["MSA", code, "EP100002"]


def test_a_latin1_message_gets_a_latin1_ack_with_msh_18():
    header = dataclasses.replace(header_of("a01_latin1.hl7"), sending_application="HÔPITAL")
    payload = ack_payload(header, "AA", now=NOW, control_id="ACK000001")
    assert "HÔPITAL".encode("latin-1") in payload
    msh = segments(payload, "latin-1")[0].split("|")
    assert (msh[4], msh[17], msh[11]) == ("HÔPITAL", "8859/1", "2.5")


def test_a_utf8_message_gets_a_utf8_ack():
    header = dataclasses.replace(header_of("a01_utf8.hl7"), sending_facility="病院")
    payload = ack_payload(header, "AA", now=NOW, control_id="ACK000001")
    msh = segments(payload, "utf-8")[0].split("|")
    assert (msh[5], msh[17]) == ("病院", "UNICODE UTF-8")


def test_an_unknown_charset_gets_an_ascii_ack_without_msh_18():
    with pytest.raises(Unparseable) as caught:
        parse_message(fixture("a01_unknown_charset.hl7"))
    payload = ack_payload(caught.value.header, "AR", problem=caught.value.problem, now=NOW, control_id="A3")
    msh, msa, err = segments(payload)
    assert len(msh.split("|")) < 18 and msa.startswith("MSA|AR|EU100002|")
    assert err.split("|")[2:4] == ["MSH^1^18", "103^Table value not found^HL70357"]


def test_an_ack_uses_the_messages_own_delimiters_and_escapes_what_it_echoes():
    header = header_of("a03_custom_delimiters.hl7")
    assert header.control_id == "LG!0008"
    payload = ack_payload(header, "AE", problem=checks.MISSING_PID3, now=NOW, control_id="ACK!1")
    msh, msa, err = segments(payload)
    assert msh == "MSH!@#$%!SMARTAPP!SMARTAPP!LEGACY!SBXHOSP!20240314101600-0500!!ACK@A03@ACK!ACK$F$1!P!2.4"
    assert msa.split("!")[:3] == ["MSA", "AE", "LG$F$0008"]
    assert err.split("!")[2:5] == ["PID@1@3", "101@Required field missing@HL70357", "E"]
    assert parse_message(payload).header.control_id == "ACK!1"


def test_echoed_values_with_delimiters_cannot_add_fields_or_segments():
    header = dataclasses.replace(
        original_mode(), sending_application="A|B^C", sending_facility="F~G\\H&I", control_id="X|Y"
    )
    payload = ack_payload(header, "AA", now=NOW, control_id="ACK000001")
    msh, msa = segments(payload)
    assert msh.split("|")[4:6] == ["A\\F\\B\\S\\C", "F\\R\\G\\E\\H\\T\\I"]
    assert msa == "MSA|AA|X\\F\\Y"


def test_an_ar_without_a_readable_header_is_still_a_valid_ack():
    payload = ack_payload(None, "AR", problem=checks.UNPARSEABLE, now=NOW, control_id="ACK000009")
    msh, msa, err = segments(payload)
    assert msh == "MSH|^~\\&|||||20240314101600-0500||ACK|ACK000009|P|2.5.1"
    assert msa == "MSA|AR||The message could not be parsed as HL7 v2."
    assert err.split("|")[2:5] == ["", "100^Segment sequence error^HL70357", "E"]
    parsed = parse_message(payload)
    assert (parsed.header.message_type, parsed.header.control_id) == ("ACK", "ACK000009")


def test_an_unknown_ack_code_is_refused():
    with pytest.raises(ValueError):
        ack_payload(None, "OK", now=NOW, control_id="A")


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=30), st.text(max_size=30), st.sampled_from(["AA", "AE", "AR", "CA", "CE", "CR"]))
def test_any_echoed_values_give_an_ack_that_parses_back_to_them(application, control_id, code):
    header = dataclasses.replace(
        header_of("a01_utf8.hl7"), sending_application=application.strip(), control_id=control_id.strip()
    )
    payload = ack_payload(header, code, now=datetime.now(UTC), control_id="ACK1")
    parsed = parse_message(payload).header
    without_controls = "".join(char for char in application.strip() if char >= " ")  # escape() drops them
    assert parsed.receiving_application == without_controls.strip()
    assert parsed.control_id == "ACK1" and parsed.trigger_event == "A01"


@pytest.mark.parametrize(
    ("accept_ack", "app_ack", "ok", "wanted"),
    [
        ("", "", True, True),  # original mode: always
        ("", "", False, True),
        ("AL", "NE", True, True),
        ("AL", "NE", False, True),
        ("NE", "AL", True, False),
        ("NE", "AL", False, False),
        ("ER", "", True, False),
        ("ER", "", False, True),
        ("SU", "", True, True),
        ("SU", "", False, False),
        ("", "AL", True, True),  # enhanced mode with MSH-15 empty counts as AL
        ("", "AL", False, True),
    ],
)
def test_accept_ack_wanted_follows_msh_15(accept_ack, app_ack, ok, wanted):
    header = Header(accept_ack=accept_ack, app_ack=app_ack, control_id="X")
    assert accept_ack_wanted(header, ok=ok) is wanted
