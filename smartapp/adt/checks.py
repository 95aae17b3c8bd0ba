"""What can be wrong with an inbound message, as the ACK reports it.

Each Problem carries the ACK code (AE: the message is in error and may be corrected and resent; AR: it is
refused and resending it as is will not help), an error code of HL7 table 0357 ("Message error condition
codes", v2.5.1 2.15.5.3, https://terminology.hl7.org/CodeSystem-v2-0357.html), the fixed reason the audit
and logs record, a fixed text for ERR-8 (never PHI) and an ERL location for ERR-2.
"""

from dataclasses import dataclass
from typing import Protocol

from smartapp.adt.contents import EVENTS, Header, PatientIdentifier


@dataclass(frozen=True)
class Problem:
    """One reason to answer AE/AR (or CE/CR in enhanced mode), with what the ERR segment says."""

    ack_code: str  # "AE" | "AR"
    error_code: str  # HL7 table 0357
    reason: str  # fixed code for audit, logs and metrics
    text: str  # ERR-8, fixed, no PHI
    location: str = ""  # ERR-2 as "SEG^seq^field[^rep^comp]", "" when the message as a whole is at fault


# 100 "Segment sequence error": no usable MSH first, a broken segment, a second MSH in one frame.
UNPARSEABLE = Problem("AR", "100", "unparseable", "The message could not be parsed as HL7 v2.")
# 103 "Table value not found": MSH-18 is coded from table 0211 and the value is not one we read.
UNKNOWN_CHARSET = Problem(
    "AR", "103", "unparseable", "The character set in MSH-18 is not supported.", "MSH^1^18"
)
# 102 "Data type error": the bytes are not text in the declared character set.
BAD_ENCODING = Problem(
    "AR", "102", "unparseable", "The message bytes do not match the character set in MSH-18.", "MSH^1^18"
)
# 101 "Required field missing": without MSH-10 the message can be neither deduplicated nor acknowledged.
MISSING_CONTROL_ID = Problem("AR", "101", "unparseable", "MSH-10 (message control id) is empty.", "MSH^1^10")
UNSUPPORTED_MESSAGE_TYPE = Problem(
    "AR", "200", "unsupported_message_type", "Only ADT messages are accepted.", "MSH^1^9^1^1"
)
UNSUPPORTED_EVENT = Problem(
    "AR", "201", "unsupported_event", "Only ADT A01, A03, A04, A08, A11 and A13 are accepted.", "MSH^1^9^1^2"
)
MISSING_PID3 = Problem(
    "AE", "101", "missing_pid3", "PID-3 (patient identifier list) has no identifier.", "PID^1^3"
)
# 103 rather than 204: 204 "Unknown key identifier" is for a record (patient, order) an update names that
# does not exist, while MSH-4's namespace id is an IS value checked against the user-defined facility table
# (0362), which is 103's definition: "a field of data type ID or IS was compared against the corresponding
# table, and no match was found".
UNKNOWN_FACILITY = Problem(
    "AR", "103", "unknown_sending_facility", "The sending facility (MSH-4) is not registered.", "MSH^1^4"
)
# 207 "Application internal error"; AE, not AR: the same message will be taken once storage is back.
STORAGE_UNAVAILABLE = Problem(
    "AE", "207", "storage_unavailable", "The message was not stored; send it again."
)
# 102 rather than 100: length is part of a v2 data type's definition and table 0357 groups length faults
# with data errors (v2.6 added 104 "Value too long" to that group; our ACKs echo versions back to 2.3).
# AR: the same bytes will be too large again.
TOO_LARGE = Problem("AR", "102", "too_large", "The message exceeds the receiver's size limit.")


class Checked(Protocol):
    """What the checks read: a full parse (contents.AdtMessage) or the listener's read (quick_read)."""

    header: Header
    event: str
    identifiers: tuple[PatientIdentifier, ...]


def message_problem(message: Checked) -> Problem | None:
    """The first content problem a parsed message has, or None. Needs no database: the sending facility
    is checked where the registrations are read (inbox_store)."""
    header = message.header
    if not header.control_id:
        return MISSING_CONTROL_ID
    if header.message_type != "ADT":
        return UNSUPPORTED_MESSAGE_TYPE
    if message.event not in EVENTS:
        return UNSUPPORTED_EVENT
    if not any(identifier.value for identifier in message.identifiers):
        return MISSING_PID3
    return None
