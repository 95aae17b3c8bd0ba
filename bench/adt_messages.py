"""The ADT benchmark's messages: realistic synthetic A03 discharges (MSH, EVN, PID, PD1, NK1, PV1, PV2, two
DG1; about 1 KB), each with its own MSH-10, patient and visit. No real person: names, numbers and addresses
are made up.

The parts around the three values that change (control id, MRN, visit number) are encoded once; a message
is then one bytes join, so building it costs the load generator well under a microsecond.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from smartapp.adt.framing import END, START

FACILITY = "SBXHOSP"  # the shipped launch_configs/sandbox.toml lists it under [adt] facilities
PATIENTS = 5000  # MRNs cycle through this many synthetic patients


ATTENDING = "D1234^Attending^Robin^Q^^^MD"
_REFERRING = "D2345^Referring^Sam^^^^MD"
_CONSULTING = "D3456^Consulting^Kim^^^^MD"


def pv1_segment(*, visit: str, admitted: str, discharged: str) -> str:
    """A full inpatient PV1 (HL7 v2.5.1): visit number, PV1-44 admitted and PV1-45 discharged ("" while
    in hospital) as HL7 timestamps."""
    pv1 = ["PV1"] + [""] * 45
    pv1[1:11] = [
        "1",
        "I",
        "4W^412^B^SBXHOSP^^^^^4 West",
        "3",
        "",
        "",
        ATTENDING,
        _REFERRING,
        _CONSULTING,
        "MED",
    ]
    pv1[14], pv1[17], pv1[18], pv1[19], pv1[20] = "1", ATTENDING, "IP", f"{visit}^^^SBX^VN", "SELF"
    pv1[36], pv1[39], pv1[44], pv1[45] = "01", FACILITY, admitted, discharged
    return "|".join(pv1)


def _segments(when: str, admitted: str) -> list[str]:
    """The message with {control}, {mrn} and {visit} left to fill (HL7 v2.5.1 ADT_A03)."""
    pv1 = pv1_segment(visit="{visit}", admitted=admitted, discharged=when)
    return [
        f"MSH|^~\\&|BENCHENGINE|{FACILITY}|SMARTAPP|SMARTAPP|{when}||ADT^A03^ADT_A03|{{control}}|P|2.5.1",
        f"EVN|A03|{when}|||{ATTENDING}|{when}",
        "PID|1||{mrn}^^^SBX^MR~{mrn}9^^^SBXLAB^PI||Benchpatient^Alex^Jordan^^^^L|Synthetic^^^^^^M|"
        "19620417|F|||100 Example Street^Apt 4^Springfield^IL^62701^USA^H||^PRN^PH^^1^217^5550100~"
        "^NET^Internet^alex.benchpatient@example.org|^WPN^PH^^1^217^5550199|eng|M|NON|{visit}^^^SBX^AN|||"
        "N||||||N",
        "PD1|||Sandbox Community Clinic^^1001|D9876^Primary^Pat^^^^MD",
        "NK1|1|Benchpatient^Casey|SPO^Spouse^HL70063|100 Example Street^^Springfield^IL^62701^USA|"
        "^PRN^PH^^1^217^5550101||EC^Emergency Contact^HL70131",
        pv1,
        f"PV2|||I50.9^Heart failure, unspecified^I10||||||{admitted[:8]}|3|||||||||||||||||||||||||||N",
        f"DG1|1||I50.9^Heart failure, unspecified^I10||{when}|A|||||||||1|{ATTENDING}",
        f"DG1|2||E11.9^Type 2 diabetes mellitus without complications^I10||{when}|W",
    ]


@dataclass(frozen=True)
class MessageFactory:
    """Builds framed A03 messages from pre-encoded parts; `run` makes control ids unique across runs."""

    run: str  # a few hex digits
    parts: tuple[bytes, ...]
    slots: tuple[str, ...]  # which value goes after each part but the last

    @classmethod
    def build(cls, run: str, *, now: datetime) -> "MessageFactory":
        admitted = (now - timedelta(days=3)).strftime("%Y%m%d%H%M%S")
        template = "\r".join(_segments(now.strftime("%Y%m%d%H%M%S"), admitted)) + "\r"
        parts, slots = [], []
        rest = template
        while "{" in rest:
            head, _, tail = rest.partition("{")
            name, _, rest = tail.partition("}")
            parts.append(head.encode())
            slots.append(name)
        parts.append(rest.encode())
        parts[0] = START + parts[0]
        parts[-1] += END
        return cls(run=run, parts=tuple(parts), slots=tuple(slots))

    def control_id(self, connection: int, seq: int) -> str:
        """MSH-10 of a connection's seq-th message (<= 20 characters, v2.5.1's length)."""
        return f"B{self.run}{connection:02d}{seq:08d}"

    def frame(self, connection: int, seq: int) -> tuple[str, bytes]:
        """(MSH-10, the framed message) for a connection's seq-th message."""
        control = self.control_id(connection, seq)
        values = {"control": control, "mrn": f"SBX{seq % PATIENTS:06d}", "visit": f"V{control[1:]}"}
        pieces = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            pieces += (values[slot].encode(), part)
        return control, b"".join(pieces)
