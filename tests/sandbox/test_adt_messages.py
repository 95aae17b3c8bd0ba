"""The ADT messages the sandbox builds from its FHIR resources, read back with the `hl7` package."""

from datetime import UTC, datetime

import hl7
import pytest

from smartapp.sandbox.adt.messages import Visit, adt_message

SENT_AT = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)
MRN = "https://sandbox.smartapp.example/fhir/mrn"
VISIT = "https://sandbox.smartapp.example/fhir/visit"


def patient(**changes) -> dict:
    return {
        "resourceType": "Patient",
        "id": "pat-1",
        "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-00-0000"},
            {"system": MRN, "value": "SBX000042"},
        ],
        "name": [{"family": "Rivera", "given": ["Ana", "Lucia"]}],
        "birthDate": "1950-03-09",
        "gender": "female",
        "telecom": [{"system": "phone", "value": "555-0100"}],
        **changes,
    }


def encounter(**changes) -> dict:
    return {
        "resourceType": "Encounter",
        "id": "enc-1",
        "identifier": [{"system": VISIT, "value": "V00001234"}],
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": {"reference": "Patient/pat-1"},
        "period": {"start": "2024-04-28T14:00:00Z", "end": "2024-05-01T12:00:00Z"},
        "hospitalization": {"dischargeDisposition": {"coding": [{"code": "home"}]}},
        **changes,
    }


def value(segment, number: int) -> str:
    """A field as text; "" when the segment ends before it (trailing empty fields are left out)."""
    return str(segment(number)) if number < len(segment) else ""


ATTENDING = {"resourceType": "Practitioner", "id": "pr-8", "name": [{"family": "Okafor", "given": ["Chidi"]}]}


def parsed(event="A03", **visit) -> hl7.Message:
    visit = {"patient": patient(), "encounter": encounter(), "attending": ATTENDING, **visit}
    raw = adt_message(event, Visit(**visit), control_id="SBX0001", sent_at=SENT_AT)
    assert raw.endswith(b"\r") and b"\n" not in raw
    return hl7.parse(raw.decode("utf-8"))


def test_the_header_names_the_sandbox_and_smartapp():
    msh = parsed().segment("MSH")

    assert [str(msh(n)) for n in (3, 4, 5, 6, 7)] == [
        "SBXADT",
        "SBXHOSP",
        "SMARTAPP",
        "SMARTAPP",
        "20240501123005+0000",
    ]
    assert str(msh(9)) == "ADT^A03^ADT_A03"
    assert [str(msh(n)) for n in (10, 11, 12)] == ["SBX0001", "P", "2.5.1"]
    assert value(msh, 18) == ""  # plain ASCII: no charset named


@pytest.mark.parametrize(
    ("event", "structure"),
    [("A01", "ADT_A01"), ("A04", "ADT_A01"), ("A08", "ADT_A01"), ("A11", "ADT_A09"), ("A13", "ADT_A01")],
)
def test_each_event_names_its_message_structure(event, structure):
    message = parsed(event)

    assert str(message.segment("MSH")(9)) == f"ADT^{event}^{structure}"
    assert str(message.segment("EVN")(1)) == event


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError):
        adt_message("A99", Visit(patient(), encounter()), control_id="x", sent_at=SENT_AT)


def test_pid_carries_the_mrn_name_birth_date_sex_and_phone():
    pid = parsed().segment("PID")

    assert str(pid(3)) == "SBX000042^^^SBX^MR"  # the SSN is not sent
    assert str(pid(5)) == "Rivera^Ana^Lucia"
    assert [str(pid(7)), str(pid(8))] == ["19500309", "F"]
    assert str(pid(13)).split("^")[0] == "555-0100"


def test_an_imported_synthea_patient_is_sent_under_its_hospitals_assigning_authority():
    # Synthea records (fixtures/synthea-r4) carry their MRN in the system of their own hospital.
    mr = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
    synthea = patient(
        identifier=[
            {"system": "https://github.com/synthetichealth/synthea", "value": "5fd6d71b"},
            {"type": mr, "system": "http://hospital.smarthealthit.org", "value": "5fd6d71b"},
        ]
    )

    assert str(parsed(patient=synthea).segment("PID")(3)) == "5fd6d71b^^^SYNHOSP^MR"


def test_pv1_carries_class_attending_visit_number_and_the_stay():
    pv1 = parsed().segment("PV1")

    assert str(pv1(2)) == "I"
    assert str(pv1(7)) == "pr-8^Okafor^Chidi"
    assert str(pv1(19)) == "V00001234^^^SBX^VN"
    assert str(pv1(36)) == "01"  # discharged home (table 0112)
    assert [str(pv1(44)), str(pv1(45))] == ["20240428140000+0000", "20240501120000+0000"]
    assert str(parsed().segment("EVN")(6)) == "20240501120000+0000"  # the discharge, for an A03


@pytest.mark.parametrize(("klass", "code"), [("EMER", "E"), ("AMB", "O")])
def test_the_patient_class_follows_the_encounter_class(klass, code):
    assert str(parsed(encounter=encounter(**{"class": {"code": klass}})).segment("PV1")(2)) == code


def test_an_open_stay_has_no_discharge_time():
    pv1 = parsed("A01", encounter=encounter(status="in-progress", period={"start": "2024-04-28T14:00:00Z"}))
    assert value(pv1.segment("PV1"), 45) == ""
    assert value(pv1.segment("PV1"), 44) == "20240428140000+0000"


def test_dg1_segments_follow_the_encounters_reasons_and_diagnoses():
    reasons = [
        {"coding": [{"system": "http://snomed.info/sct", "code": "233604007", "display": "Pneumonia"}]}
    ]
    diagnoses = [{"condition": {"reference": "Condition/c-1", "display": "Heart failure"}}]
    message = parsed(encounter=encounter(reasonCode=reasons, diagnosis=diagnoses))

    dg1s = [str(s(3)) for s in message.segments("DG1")]
    assert dg1s == ["233604007^Pneumonia^SCT", "^Heart failure"]
    assert [str(s(1)) for s in message.segments("DG1")] == ["1", "2"]


def test_an_encounter_without_reasons_has_no_dg1():
    assert [str(s[0]) for s in parsed()] == ["MSH", "EVN", "PID", "PV1"]


def test_delimiters_in_text_are_escaped_and_round_trip():
    tricky = "O|Brien^&~\\Jr"
    message = parsed(patient=patient(name=[{"family": tricky, "given": ["A&B"]}]))
    pid5 = message.segment("PID")(5)

    assert str(message.segment("PID")(5)).startswith("O\\F\\Brien\\S\\\\T\\\\R\\\\E\\Jr^A\\T\\B")
    assert message.unescape(str(pid5[0][0])) == tricky
    assert message.unescape(str(pid5[0][1])) == "A&B"
    assert len(message.segments("PID")) == 1 and len(message.segment("PID")) == 14  # no field was split


def test_an_accented_name_is_sent_in_utf8_and_msh18_says_so():
    raw = adt_message(
        "A03",
        Visit(patient(name=[{"family": "Muñoz", "given": ["Zoë"]}]), encounter()),
        control_id="SBX0002",
        sent_at=SENT_AT,
    )

    assert "Muñoz^Zoë".encode() in raw
    message = hl7.parse(raw.decode("utf-8"))
    assert str(message.segment("MSH")(18)) == "UNICODE UTF-8"
    assert str(message.segment("PID")(5)) == "Muñoz^Zoë"
