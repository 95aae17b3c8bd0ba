"""What smartapp reads from an HL7 v2 ADT message: small frozen dataclasses, free of Django and of the
parser's containers. parse.py builds them from the raw bytes; the listener, the store and the processing
read only them. Text fields are unescaped (\\F\\, \\S\\, \\T\\, \\R\\, \\E\\, \\Xhh\\) and decoded by MSH-18.
"""

from dataclasses import dataclass, field
from datetime import datetime

# Events the feed takes (HL7 v2.5.1 ch. 3): what each does is in process.py and docs/adt.md.
ADMIT, REGISTER, DISCHARGE, UPDATE, CANCEL_ADMIT, CANCEL_DISCHARGE = "A01", "A04", "A03", "A08", "A11", "A13"
EVENTS = (ADMIT, REGISTER, DISCHARGE, UPDATE, CANCEL_ADMIT, CANCEL_DISCHARGE)

# MSH-15/16 values (HL7 table 0155); "" = not valued: original acknowledgement mode when both are "".
ALWAYS, NEVER, ERROR_ONLY, SUCCESS_ONLY = "AL", "NE", "ER", "SU"


@dataclass(frozen=True)
class Header:
    """The MSH fields an ACK echoes or a store keys on. Always available once MSH-1/2 parse."""

    field_separator: str = "|"  # MSH-1
    encoding_characters: str = "^~\\&"  # MSH-2
    sending_application: str = ""  # MSH-3, HD namespace id (component 1)
    sending_facility: str = ""  # MSH-4, HD namespace id
    receiving_application: str = ""  # MSH-5
    receiving_facility: str = ""  # MSH-6
    message_time: datetime | None = None  # MSH-7, aware (no offset: settings.TIME_ZONE)
    message_type: str = ""  # MSH-9.1 "ADT"
    trigger_event: str = ""  # MSH-9.2 "A03"
    control_id: str = ""  # MSH-10
    processing_id: str = ""  # MSH-11 "P", "T", "D"
    version: str = ""  # MSH-12 "2.5.1"
    accept_ack: str = ""  # MSH-15 (ALWAYS, NEVER, ERROR_ONLY, SUCCESS_ONLY or "")
    app_ack: str = ""  # MSH-16
    charset: str = ""  # MSH-18, as sent ("" = ASCII, the v2 default)

    @property
    def sender(self) -> str:
        """The sender's key for duplicate detection: "MSH-3^MSH-4" (namespace ids)."""
        return f"{self.sending_application}^{self.sending_facility}"

    @property
    def enhanced_mode(self) -> bool:
        """Enhanced acknowledgement mode: MSH-15 or MSH-16 valued (HL7 v2.5.1 2.9.3)."""
        return bool(self.accept_ack or self.app_ack)


@dataclass(frozen=True)
class PatientIdentifier:
    """One PID-3 repetition (CX): the id, its assigning authority (CX-4 namespace id, or its universal id
    when only that is sent) and its identifier type code (CX-5, "MR")."""

    value: str
    authority: str = ""
    type_code: str = ""


@dataclass(frozen=True)
class Person:
    """An XCN (PV1-7 attending etc.): id number and a display name "Given Family"."""

    id: str = ""
    name: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """A DG1-3 (CE/CWE): code, text and coding system as sent."""

    code: str = ""
    text: str = ""
    system: str = ""


@dataclass(frozen=True)
class AdtMessage:
    """A parsed ADT message: its header and what the follow-up work reads."""

    header: Header
    event: str = ""  # MSH-9.2, else EVN-1 (kept for backward compatibility only: v2.5.1 3.4.1.1)
    event_time: datetime | None = None  # EVN-2 (recorded), else None
    identifiers: tuple[PatientIdentifier, ...] = ()  # PID-3 repetitions
    patient_name: str = ""  # PID-5, first repetition, "Given Family"
    birth_date: str = ""  # PID-7 as YYYY-MM-DD, "" when absent or unreadable
    sex: str = ""  # PID-8
    phone: str = ""  # PID-13 first repetition
    patient_class: str = ""  # PV1-2: I inpatient, E emergency, O outpatient, ...
    visit_number: str = ""  # PV1-19 (CX-1)
    attending: Person = Person()  # PV1-7
    admitted_at: datetime | None = None  # PV1-44
    discharged_at: datetime | None = None  # PV1-45
    discharge_disposition: str = ""  # PV1-36
    diagnoses: tuple[Diagnosis, ...] = ()  # DG1-3 of each DG1
    segments: tuple[str, ...] = field(default=())  # segment ids in order ("MSH", "EVN", "PID", ...)
