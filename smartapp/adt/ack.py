"""HL7 v2 acknowledgements (v2.5.1 ch. 2.9 acknowledgment modes, 2.14.1 ACK, 2.15.8 MSA, 2.15.5 ERR).

Original mode (MSH-15 and MSH-16 empty): one ACK with AA/AE/AR. Enhanced mode: an accept ACK with CA/CE/CR,
sent according to MSH-15 (accept_ack_wanted). Only the echoed applications, facilities, event and control
ids come from the sender; they are escaped with the sender's own delimiters. Everything else is fixed text.
"""

from datetime import datetime

from smartapp.adt.charsets import codec_for
from smartapp.adt.checks import Problem
from smartapp.adt.contents import ALWAYS, ERROR_ONLY, NEVER, SUCCESS_ONLY, Header
from smartapp.adt.v2_text import Delimiters, escape
from smartapp.adt.v2_time import format_dtm

ACK_CODES = ("AA", "AE", "AR", "CA", "CE", "CR")  # HL7 table 0008
_ENHANCED_CODES = ("CA", "CE", "CR")
_DEFAULT_PROCESSING_ID, _DEFAULT_VERSION = "P", "2.5.1"  # MSH-11/12 are required; used when not echoed
# HL7 table 0357 (v2.5.1), the names ERR-3 carries with the code.
_ERROR_NAMES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "204": "Unknown key identifier",
    "207": "Application internal error",
}


def ack_payload(
    header: Header | None, code: str, *, problem: Problem | None = None, now: datetime, control_id: str
) -> bytes:
    """The ACK for a message (its payload, not yet MLLP-framed), encoded in the message's MSH-18 charset.

    header None (nothing readable) still gives a valid ACK: default delimiters, MSA-2 empty. An ERR segment
    is added when problem is given. control_id is the ACK's own MSH-10.
    """
    if code not in ACK_CODES:
        raise ValueError(f"not an acknowledgment code: {code}")
    source = header or Header()
    delimiters = Delimiters.from_msh(source.field_separator, source.encoding_characters) or Delimiters()
    codec = codec_for(source.charset)
    segments = [
        _msh(
            header, delimiters, code, now=now, control_id=control_id, charset=source.charset if codec else ""
        ),
        _msa(source, delimiters, code, problem),
    ]
    if problem:
        segments.append(_err(problem, delimiters))
    # An unknown MSH-18 is not echoed and the ACK is ASCII; "?" replaces what ASCII cannot carry.
    return ("".join(segment + "\r" for segment in segments)).encode(codec or "ascii", errors="replace")


def accept_ack_wanted(header: Header, *, ok: bool) -> bool:
    """Whether to send the accept ACK: always in original mode; in enhanced mode as MSH-15 asks
    (AL always, NE never, ER only on error, SU only on success; empty or unknown counts as AL)."""
    if not header.enhanced_mode:
        return True
    wanted = header.accept_ack or ALWAYS
    if wanted == NEVER:
        return False
    if wanted == ERROR_ONLY:
        return not ok
    if wanted == SUCCESS_ONLY:
        return ok
    return True


def _msh(header: Header | None, delimiters: Delimiters, code: str, *, now, control_id, charset) -> str:
    source = header or Header()

    def echo(value: str) -> str:
        return escape(value, delimiters)

    component = delimiters.component
    message_type = f"ACK{component}{echo(source.trigger_event)}{component}ACK" if header else "ACK"
    # An accept ACK is itself never acknowledged (v2.5.1 2.9.3): MSH-15/16 say so in enhanced mode.
    no_ack = NEVER if code in _ENHANCED_CODES else ""
    fields = [
        "MSH",
        delimiters.encoding_characters,
        echo(source.receiving_application),  # MSH-3..6: the sender's receiving side is our sending side
        echo(source.receiving_facility),
        echo(source.sending_application),
        echo(source.sending_facility),
        format_dtm(now),
        "",
        message_type,
        echo(control_id),
        echo(source.processing_id) or _DEFAULT_PROCESSING_ID,
        echo(source.version) or _DEFAULT_VERSION,
        "",
        "",
        no_ack,
        no_ack,
        "",
        echo(charset),
    ]
    return _join(fields, delimiters.field)


def _msa(source: Header, delimiters: Delimiters, code: str, problem: Problem | None) -> str:
    # MSA-3 is deprecated since v2.4 but still what v2.3 engines display; it carries the same fixed text.
    text = escape(problem.text, delimiters) if problem else ""
    return _join(["MSA", code, escape(source.control_id, delimiters), text], delimiters.field)


def _err(problem: Problem, delimiters: Delimiters) -> str:
    component = delimiters.component
    location = component.join(problem.location.split("^")) if problem.location else ""
    error = component.join([problem.error_code, _ERROR_NAMES.get(problem.error_code, ""), "HL70357"])
    severity = "E"  # HL7 table 0516: error, the message was not processed as sent
    fields = ["ERR", "", location, error, severity, "", "", "", escape(problem.text, delimiters)]
    return _join(fields, delimiters.field)


def _join(fields: list[str], separator: str) -> str:
    while fields and not fields[-1]:
        fields.pop()
    return separator.join(fields)
