"""Pure functions from FHIR JSON to the rows templates show. No I/O; tolerant of messy vendor data."""

from dataclasses import dataclass
from datetime import date

MRN_TYPE_CODE = "MR"  # v2-0203 identifier type "Medical record number"


@dataclass(frozen=True)
class Banner:
    name: str
    birth_date: str
    age: int | None
    sex: str
    mrn: str


def patient_banner(patient: dict, *, today: date) -> Banner:
    """The banner: official (else first) name, birth date and age, sex, MRN (else the first identifier)."""
    return Banner(
        name=_display_name(patient.get("name")),
        birth_date=_cut(patient.get("birthDate"), 10),  # a FHIR date is at most YYYY-MM-DD
        age=_age(patient.get("birthDate"), today),
        sex=_cut(patient.get("gender"), 64),
        mrn=_mrn(patient.get("identifier")),
    )


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _cut(value, limit: int) -> str:
    """A string from the EHR, cut to what the banner can show; anything else is ""."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def _display_name(names) -> str:
    if not isinstance(names, list) or not names:
        return "Name not recorded"
    chosen = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
    if not isinstance(chosen, dict):
        return "Name not recorded"
    if isinstance(chosen.get("text"), str) and chosen["text"].strip():
        return chosen["text"].strip()[:200]
    given = (
        [g for g in chosen.get("given", []) if isinstance(g, str)]
        if isinstance(chosen.get("given"), list)
        else []
    )
    family = chosen.get("family", "") if isinstance(chosen.get("family"), str) else ""
    return " ".join([*given, family]).strip()[:200] or "Name not recorded"


def _age(birth_date, today: date) -> int | None:
    if not isinstance(birth_date, str):
        return None
    try:
        born = date.fromisoformat(birth_date[:10])
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _mrn(identifiers) -> str:
    if not isinstance(identifiers, list):
        return ""
    valid = [i for i in identifiers if isinstance(i, dict) and isinstance(i.get("value"), str)]
    for identifier in valid:
        kind = identifier.get("type")
        codings = kind.get("coding") if isinstance(kind, dict) else None
        if any(isinstance(c, dict) and c.get("code") == MRN_TYPE_CODE for c in _list(codings)):
            return identifier["value"][:64]
    return valid[0]["value"][:64] if valid else ""
