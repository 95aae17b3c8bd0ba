"""What a coordinator needs to find and call a patient, from a FHIR Patient: name, MRN, birth date, phone.
Pure and tolerant of garbage: a value that cannot be read is left empty, never guessed.
"""

import re
from dataclasses import dataclass
from datetime import date

from smartapp.core.display_text import text as display_text
from smartapp.ehr.names import human_name

from . import elements as el

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types; MR = medical record number
MRN_LIMIT = 64
PHONE_LIMIT = 64
# Vendors that do not code the type: the words they put in type.text (e.g. "MRN", "Medical Record Number").
_MRN_WORDS = frozenset({"mr", "mrn", "medical record number", "medical record no", "medical record"})
# An EHR-specific system naming the record number (".../mrn", "urn:...:mrn").
_MRN_SYSTEM = re.compile(r"(^|[/:.#_-])mrn($|[/:.#_-])", re.IGNORECASE)
_PHONE_USES = {"mobile": 0, "home": 1, "": 2, "work": 3, "temp": 4}  # preferred first; "old" never
_IDENTIFIER_USES = {"official": 0, "usual": 1, "": 2, "secondary": 3, "temp": 4}  # "old" never
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class PatientFacts:
    name: str = ""
    mrn: str = ""
    birth_date: date | None = None
    phone: str = ""


def patient_facts(resource, *, today: date) -> PatientFacts:
    """The facts of a Patient resource (anything else gives empty facts)."""
    if not isinstance(resource, dict):
        return PatientFacts()
    return PatientFacts(
        name=display_text(human_name(resource.get("name")), el.TEXT_LIMIT),
        mrn=mrn(resource.get("identifier"), today=today),
        birth_date=birth_date(resource.get("birthDate")),
        phone=phone(resource.get("telecom"), today=today),
    )


def mrn(identifiers, *, today: date) -> str:
    """The medical record number: the identifier typed MR in v2-0203 (US Core, Epic, Oracle Health);
    else one whose type says MR without that system, or whose type.text says "MRN"; else one whose
    system names an MRN. Never any other identifier (an SSN or a driver's licence is not an MRN).
    Official before usual before the rest; an "old" or expired identifier never."""
    candidates = []
    for order, identifier in enumerate(el.dicts(identifiers)):
        strength = _mrn_strength(identifier)
        use = el.code(identifier.get("use"))
        value = display_text(identifier.get("value"), 1000)
        if strength is None or use not in _IDENTIFIER_USES or not value or len(value) > MRN_LIMIT:
            continue
        if _ended(identifier.get("period"), today):
            continue
        candidates.append((strength, _IDENTIFIER_USES[use], order, value))
    return min(candidates)[-1] if candidates else ""


def birth_date(value) -> date | None:
    """Patient.birthDate when it is a whole date; a year or a month alone is no date of birth to show."""
    if not isinstance(value, str) or not _FULL_DATE.fullmatch(value.strip()):
        return None
    return el.parse_date(value.strip())


def phone(telecoms, *, today: date) -> str:
    """A phone number to call: system phone, mobile before home before unlabelled before work, then by
    rank; never an "old" one or one whose period has ended."""
    candidates = []
    for order, point in enumerate(el.dicts(telecoms)):
        use = el.code(point.get("use"))
        value = display_text(point.get("value"), 1000)
        if el.code(point.get("system")) != "phone" or use not in _PHONE_USES or not value:
            continue
        if len(value) > PHONE_LIMIT or _ended(point.get("period"), today):
            continue
        rank = point.get("rank") if type(point.get("rank")) is int and point.get("rank") > 0 else 10**6
        candidates.append((_PHONE_USES[use], rank, order, value))
    return min(candidates)[-1] if candidates else ""


def _mrn_strength(identifier: dict) -> int | None:
    concept = identifier.get("type") if isinstance(identifier.get("type"), dict) else {}
    codes = [(el.text(c.get("system"), 200), el.text(c.get("code"), 16)) for c in el.codings(concept)]
    if (V2_0203, "MR") in codes:
        return 0
    said = el.text(concept.get("text")).casefold() in _MRN_WORDS
    if said or any(code.upper() == "MR" for _, code in codes):
        return 1
    if _MRN_SYSTEM.search(el.text(identifier.get("system"), 1000)):
        return 2
    return None


def _ended(period, today: date) -> bool:
    end = el.parse_date(period.get("end")) if isinstance(period, dict) else None
    return end is not None and end < today
