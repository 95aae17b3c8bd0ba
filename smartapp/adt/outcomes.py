"""What became of a processed message: the fixed reason codes stored on it (InboundMessage.reason), their
words for the coordinator's review page, and the application ACK enhanced mode asks for (its code, and for
AE/AR the ERR segment's fixed condition: what an interface analyst reads in the engine's error queue)."""

from .checks import Problem
from .contents import ALWAYS, ERROR_ONLY, SUCCESS_ONLY
from .matching import EHR_REFUSED, NO_CREDENTIALS, NO_IDENTIFIER, NO_MATCH, SEARCH_REFUSED, SEVERAL_MATCHES
from .models import IGNORED, PARKED, PROCESSED

NOT_PRODUCTION = "not_production"  # MSH-11 T (training/test) or D (debugging)
UNPARSEABLE = "unparseable"
NO_VISIT_NUMBER = "no_visit_number"  # an A01/A03/A04/A11/A13 without PV1-19: nothing to key a visit on
NO_REGISTRATION = "no_registration"  # the registration the message was stored for is gone

REASON_WORDS = {
    NO_MATCH: "No patient at the EHR has the identifier the hospital sent",
    SEVERAL_MATCHES: "Several patients at the EHR have the identifier the hospital sent",
    NO_IDENTIFIER: "The hospital sent no patient identifier smartapp can search the EHR with",
    SEARCH_REFUSED: "This EHR does not let smartapp search patients by identifier",
    EHR_REFUSED: "The EHR refused smartapp's search for the patient",
    NO_CREDENTIALS: "smartapp has no credentials to search this EHR (an administrator can set them up)",
    NO_REGISTRATION: "This hospital feed is no longer set up in smartapp",
}

# ERR of an application AE/AR per stored reason: HL7 table 0357 code, fixed ERR-8 text (no PHI), ERR-2.
_AE_UNMATCHED = ("204", "Held for review: no single patient at the EHR matches PID-3.", "PID^1^3")
_APP_ERRORS = {
    NO_MATCH: _AE_UNMATCHED,
    SEVERAL_MATCHES: _AE_UNMATCHED,
    NO_IDENTIFIER: ("101", "Held for review: PID-3 has no identifier the EHR can be searched by.", "PID^1^3"),
    SEARCH_REFUSED: ("207", "Held for review: the EHR does not allow a patient search by identifier.", ""),
    EHR_REFUSED: ("207", "Held for review: the EHR refused the patient search.", ""),
    NO_CREDENTIALS: ("207", "Held for review: the receiver has no credentials for this EHR yet.", ""),
    NO_REGISTRATION: ("207", "Held for review: this feed is no longer set up at the receiver.", ""),
    NOT_PRODUCTION: ("103", "Not processed: MSH-11 is a test or debugging processing id.", "MSH^1^11"),
    UNPARSEABLE: ("100", "Not processed: the stored message could not be parsed.", ""),
    NO_VISIT_NUMBER: ("101", "Not processed: PV1-19 (visit number) is empty.", "PV1^1^19"),
}

# MSH-16 (HL7 table 0155) -> the statuses for which an application ACK is wanted.
_WANTED = {ALWAYS: {PROCESSED, PARKED, IGNORED}, ERROR_ONLY: {PARKED, IGNORED}, SUCCESS_ONLY: {PROCESSED}}
_CODES = {PROCESSED: "AA", PARKED: "AE", IGNORED: "AR"}


def reason_words(reason: str) -> str:
    """The reason code in words a coordinator reads ("" for none)."""
    return REASON_WORDS.get(reason, reason.replace("_", " "))


def app_ack_code(app_ack: str, status: str) -> str:
    """The application ACK code (AA processed, AE parked, AR ignored) when MSH-16 asks for one for this
    outcome (AL always, ER on an error, SU on success, NE or "" never); else ""."""
    return _CODES[status] if status in _WANTED.get(app_ack, set()) else ""


def app_ack_problem(code: str, reason: str) -> Problem | None:
    """The ERR an application ACK with `code` carries for a message stored with `reason`: None for AA (and
    for a reason without a condition, which then goes without ERR)."""
    if code not in ("AE", "AR") or reason not in _APP_ERRORS:
        return None
    error_code, text, location = _APP_ERRORS[reason]
    return Problem(code, error_code, reason, text, location)
