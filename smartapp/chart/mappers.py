"""Pure functions from FHIR JSON to the rows templates show. No I/O; tolerant of messy vendor data."""

from dataclasses import dataclass
from datetime import date

from smartapp.chart.coding import code_words, text

MRN_TYPE_CODE = "MR"  # v2-0203 identifier type "Medical record number"


@dataclass(frozen=True)
class Banner:
    name: str
    birth_date: str
    age: int | None
    sex: str  # in words: "Female"
    mrn: str
    short_name: str = ""  # for the browser tab: "Botsford, E."; "" when the record names nobody


def patient_banner(patient: dict, *, today: date) -> Banner:
    """The banner: official (else first) name, birth date and age, sex, MRN (else the first identifier)."""
    return Banner(
        name=_display_name(patient.get("name")),
        birth_date=_cut(patient.get("birthDate"), 10),  # a FHIR date is at most YYYY-MM-DD
        age=_age(patient.get("birthDate"), today),
        sex=code_words(_cut(patient.get("gender"), 64)),
        mrn=_mrn(patient.get("identifier")),
        short_name=_short_name(patient.get("name")),
    )


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _cut(value, limit: int) -> str:
    """A string from the EHR, made safe to show (coding.text) and cut to what the banner can show; anything
    else is ""."""
    return text(value, limit)


def _chosen_name(names) -> dict:
    if not isinstance(names, list) or not names:
        return {}
    chosen = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
    return chosen if isinstance(chosen, dict) else {}


def _short_name(names) -> str:
    """Family name and first initial ("Botsford, E."): enough to tell two open patients' tabs apart, and
    no more of the name than a tab needs. A name given only as text is shown as it is."""
    chosen = _chosen_name(names)
    family = _cut(chosen.get("family"), 60)
    given = [_cut(g, 60) for g in _list(chosen.get("given")) if _cut(g, 60)]
    if not family:
        return _cut(chosen.get("text"), 60) or (given[0][:60] if given else "")
    return f"{family}, {given[0][0]}." if given else family


def _display_name(names) -> str:
    chosen = _chosen_name(names)
    if not chosen:
        return "Name not recorded"
    if _cut(chosen.get("text"), 200):
        return _cut(chosen.get("text"), 200)
    given = [_cut(g, 200) for g in _list(chosen.get("given"))]
    family = _cut(chosen.get("family"), 200)
    return " ".join(part for part in [*given, family] if part)[:200] or "Name not recorded"


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
    valid = [i for i in identifiers if isinstance(i, dict) and _cut(i.get("value"), 64)]
    for identifier in valid:
        kind = identifier.get("type")
        codings = kind.get("coding") if isinstance(kind, dict) else None
        if any(isinstance(c, dict) and c.get("code") == MRN_TYPE_CODE for c in _list(codings)):
            return _cut(identifier["value"], 64)
    return _cut(valid[0]["value"], 64) if valid else ""
