"""Content checks on parsed messages and the fixed problems the ACK reports."""

import dataclasses
from pathlib import Path

import pytest

from smartapp.adt import checks
from smartapp.adt.checks import message_problem
from smartapp.adt.parse import parse_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
ALL_PROBLEMS = [value for value in vars(checks).values() if isinstance(value, checks.Problem)]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "a01_epic_admit.hl7",
        "a03_epic_discharge.hl7",
        "a04_cerner_register.hl7",
        "a08_update_structure.hl7",  # MSH-9 ADT^A08^ADT_A01: the structure is not the event
        "a11_cancel_admit.hl7",
        "a13_cancel_discharge.hl7",
        "a03_meditech_v23.hl7",
        "a01_latin1.hl7",
        "a01_utf8.hl7",
        "a08_escapes.hl7",
        "a03_zsegments_lf.hl7",
        "a03_custom_delimiters.hl7",
    ],
)
def test_supported_adt_messages_have_no_problem(name):
    assert message_problem(parse_message(fixture(name))) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("oru_r01_result.hl7", checks.UNSUPPORTED_MESSAGE_TYPE),
        ("a02_transfer.hl7", checks.UNSUPPORTED_EVENT),
        ("a03_no_pid3.hl7", checks.MISSING_PID3),
        ("a03_no_control_id.hl7", checks.MISSING_CONTROL_ID),
    ],
)
def test_each_content_fault_has_its_problem(name, problem):
    assert message_problem(parse_message(fixture(name))) == problem


def test_the_problems_carry_the_codes_the_ack_reports():
    found = message_problem(parse_message(fixture("a03_no_pid3.hl7")))
    assert (found.ack_code, found.error_code, found.reason, found.location) == (
        "AE",
        "101",
        "missing_pid3",
        "PID^1^3",
    )
    assert (checks.UNSUPPORTED_MESSAGE_TYPE.ack_code, checks.UNSUPPORTED_MESSAGE_TYPE.error_code) == (
        "AR",
        "200",
    )
    assert (checks.UNSUPPORTED_EVENT.ack_code, checks.UNSUPPORTED_EVENT.error_code) == ("AR", "201")
    assert (checks.MISSING_CONTROL_ID.reason, checks.MISSING_CONTROL_ID.location) == (
        "unparseable",
        "MSH^1^10",
    )
    assert (checks.UNKNOWN_FACILITY.ack_code, checks.UNKNOWN_FACILITY.reason) == (
        "AR",
        "unknown_sending_facility",
    )
    assert (checks.STORAGE_UNAVAILABLE.ack_code, checks.STORAGE_UNAVAILABLE.error_code) == ("AE", "207")
    assert checks.STORAGE_UNAVAILABLE.text == "The message was not stored; send it again."
    assert (checks.TOO_LARGE.ack_code, checks.TOO_LARGE.reason) == ("AR", "too_large")


def test_a_missing_control_id_is_reported_before_any_other_fault():
    raw = fixture("oru_r01_result.hl7").replace(b"|LB100001|", b"||")
    assert message_problem(parse_message(raw)) == checks.MISSING_CONTROL_ID


def test_an_unsupported_type_is_reported_before_a_missing_pid3():
    raw = fixture("a03_no_pid3.hl7").replace(b"|ADT^A03^ADT_A03|", b"|ORM^O01|")
    assert message_problem(parse_message(raw)) == checks.UNSUPPORTED_MESSAGE_TYPE


def test_an_empty_identifier_repetition_before_a_real_one_is_fine():
    raw = fixture("a03_epic_discharge.hl7").replace(b"|E100001^^^SBX^MR|", b"|^^^SBX^MR~E100001^^^SBX^MR|")
    message = parse_message(raw)
    assert [identifier.value for identifier in message.identifiers] == ["E100001"]
    assert message_problem(message) is None


def test_every_problem_is_fixed_well_formed_and_within_table_0357():
    codes = {"100", "101", "102", "103", "200", "201", "204", "207"}
    reasons = {
        "unparseable",
        "unsupported_message_type",
        "unsupported_event",
        "missing_pid3",
        "unknown_sending_facility",
        "storage_unavailable",
        "too_large",
    }
    assert {problem.reason for problem in ALL_PROBLEMS} == reasons
    for problem in ALL_PROBLEMS:
        assert problem.ack_code in ("AE", "AR") and problem.error_code in codes
        assert problem.text and problem.text.isascii()
        assert not problem.location or problem.location.split("^")[1] == "1"
        with pytest.raises(dataclasses.FrozenInstanceError):
            problem.text = "changed"
