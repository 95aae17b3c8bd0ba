"""ADT messages (HL7 v2.5.1 ch. 3) built from the sandbox's own Patient and Encounter resources.

MSH-3/4 name the sandbox's interface engine and hospital, MSH-5/6 smartapp. PID-3 carries the patient's
MRNs, each with the assigning authority of its system (AUTHORITIES: the sandbox's own "SBX", and "SYNHOSP"
for the hospital of the imported Synthea records), type MR; PV1-19 the Encounter's visit number (v2 table
0203 "VN").
"""

from dataclasses import dataclass
from datetime import date, datetime

from . import v2

SENDING_APPLICATION, SENDING_FACILITY = "SBXADT", "SBXHOSP"
RECEIVING_APPLICATION = RECEIVING_FACILITY = "SMARTAPP"
MRN_SYSTEM = "https://sandbox.smartapp.example/fhir/mrn"
VISIT_SYSTEM = "https://sandbox.smartapp.example/fhir/visit"
MRN_AUTHORITY = "SBX"
# Identifier.system of a patient's MRN -> the PID-3 assigning authority (CX-4) it is sent under.
AUTHORITIES = {MRN_SYSTEM: MRN_AUTHORITY, "http://hospital.smarthealthit.org": "SYNHOSP"}
EVENTS = ("A01", "A03", "A04", "A08", "A11", "A13")
# HL7 table 0354: the message structure of each trigger event.
STRUCTURES = {"A01": "ADT_A01", "A03": "ADT_A03", "A04": "ADT_A01", "A08": "ADT_A01", "A11": "ADT_A09"}
STRUCTURES["A13"] = "ADT_A01"
# Encounter.class (v3 ActCode) -> PV1-2 patient class (HL7 table 0004).
PATIENT_CLASSES = {"IMP": "I", "ACUTE": "I", "NONAC": "I", "EMER": "E", "AMB": "O", "OBSENC": "O"}
SEXES = {"male": "M", "female": "F", "other": "O", "unknown": "U"}  # HL7 table 0001
# FHIR discharge-disposition -> HL7 table 0112 (the US UB-04 codes).
DISPOSITIONS = {"home": "01", "other-hcf": "02", "snf": "03", "hosp": "02", "exp": "20", "alt-home": "06"}
CODING_SYSTEMS = {
    "http://snomed.info/sct": "SCT",
    "http://hl7.org/fhir/sid/icd-10-cm": "I10",
    "http://loinc.org": "LN",
}


@dataclass(frozen=True)
class Visit:
    """What one message tells: the Patient, the Encounter and its attending Practitioner (FHIR JSON)."""

    patient: dict
    encounter: dict
    attending: dict | None = None


def adt_message(event: str, visit: Visit, *, control_id: str, sent_at: datetime) -> bytes:
    """The message for `event` (one of EVENTS) about `visit`, encoded; MSH-7 and EVN-2 are `sent_at`."""
    if event not in EVENTS:
        raise ValueError(f"unsupported event {event[:8]}")
    body = [_evn(event, visit.encounter, sent_at), _pid(visit.patient), _pv1(visit)]
    body += _dg1s(visit.encounter)
    text = v2.SEGMENT_END.join(body)
    charset = "" if text.isascii() else "UNICODE UTF-8"
    msh = _msh(event, control_id, sent_at, charset)
    return (v2.SEGMENT_END.join([msh, text]) + v2.SEGMENT_END).encode("utf-8")


def _msh(event: str, control_id: str, sent_at: datetime, charset: str) -> str:
    return v2.segment(
        "MSH",
        {
            2: v2.ENCODING_CHARACTERS,
            3: SENDING_APPLICATION,
            4: SENDING_FACILITY,
            5: RECEIVING_APPLICATION,
            6: RECEIVING_FACILITY,
            7: v2.timestamp(sent_at),
            9: v2.components("ADT", event, STRUCTURES[event]),
            10: v2.escape(control_id),
            11: "P",
            12: "2.5.1",
            18: charset,
        },
    )


def _evn(event: str, encounter: dict, sent_at: datetime) -> str:
    period = encounter.get("period") or {}
    occurred = period.get("end") if event == "A03" else period.get("start")
    return v2.segment("EVN", {1: event, 2: v2.timestamp(sent_at), 6: _dtm(occurred)})


def _pid(patient: dict) -> str:
    name = (patient.get("name") or [{}])[0]
    given = name.get("given") or []
    phone = next((t.get("value", "") for t in patient.get("telecom", []) if t.get("system") == "phone"), "")
    return v2.segment(
        "PID",
        {
            1: "1",
            3: v2.repeated(
                [v2.components(mrn, "", "", authority, "MR") for mrn, authority in _mrns(patient)]
            ),
            5: v2.components(name.get("family", ""), *given[:2]),
            7: _dt(patient.get("birthDate")),
            8: SEXES.get(patient.get("gender", ""), ""),
            13: v2.components(phone, "PRN", "PH") if phone else "",
        },
    )


def _mrns(patient: dict) -> list[tuple[str, str]]:
    """(value, assigning authority) of each of the patient's identifiers in a system AUTHORITIES names."""
    identifiers = patient.get("identifier", [])
    return [
        (i["value"], AUTHORITIES[i["system"]])
        for i in identifiers
        if i.get("system") in AUTHORITIES and i.get("value")
    ]


def _pv1(visit: Visit) -> str:
    encounter = visit.encounter
    period = encounter.get("period") or {}
    disposition = (encounter.get("hospitalization") or {}).get("dischargeDisposition") or {}
    codes = [c.get("code", "") for c in disposition.get("coding", [])]
    return v2.segment(
        "PV1",
        {
            1: "1",
            2: PATIENT_CLASSES.get((encounter.get("class") or {}).get("code", ""), "U"),
            7: _attending(visit.attending),
            19: v2.components(visit_number(encounter), "", "", MRN_AUTHORITY, "VN"),
            36: next((DISPOSITIONS[c] for c in codes if c in DISPOSITIONS), ""),
            44: _dtm(period.get("start")),
            45: _dtm(period.get("end")) if encounter.get("status") == "finished" else "",
        },
    )


def visit_number(encounter: dict) -> str:
    """The Encounter's visit number (its identifier in VISIT_SYSTEM), "" when it has none."""
    identifiers = encounter.get("identifier") or []
    return next((i.get("value", "") for i in identifiers if i.get("system") == VISIT_SYSTEM), "")


def _attending(practitioner: dict | None) -> str:
    if not practitioner:
        return ""
    name = (practitioner.get("name") or [{}])[0]
    return v2.components(practitioner["id"], name.get("family", ""), *(name.get("given") or [])[:1])


def _dg1s(encounter: dict) -> list[str]:
    concepts = list(encounter.get("reasonCode") or [])
    concepts += [{"text": d["condition"]["display"]} for d in encounter.get("diagnosis") or [] if _shown(d)]
    return [
        v2.segment("DG1", {1: str(number), 3: _coded(concept), 6: "A"})
        for number, concept in enumerate(concepts, start=1)
    ]


def _shown(diagnosis: dict) -> bool:
    return bool((diagnosis.get("condition") or {}).get("display"))


def _coded(concept: dict) -> str:
    coding = (concept.get("coding") or [{}])[0]
    text = coding.get("display") or concept.get("text", "")
    return v2.components(coding.get("code", ""), text, CODING_SYSTEMS.get(coding.get("system", ""), ""))


def _dtm(value: str | None) -> str:
    if not value:
        return ""
    try:
        return v2.timestamp(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return ""


def _dt(value: str | None) -> str:
    try:
        return v2.day(date.fromisoformat(value)) if value else ""
    except ValueError:
        return ""
