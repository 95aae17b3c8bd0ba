"""Summarizing AllergyIntolerance resources for the chart's allergy banner and list.

Patient-safety rules: nothing current is hidden (an unknown or missing status shows as current), what is
hidden is counted, and "no known allergies" is only said when the EHR recorded it and nothing current
contradicts it. An empty input is "no data", never "no known allergies".
"""

from dataclasses import dataclass

from smartapp.chart import coding
from smartapp.chart.authors import author_names, first_named
from smartapp.chart.coding import SHORT_LIMIT, SNOMED_SYSTEM

ALLERGIES, NO_KNOWN_ALLERGIES, NONE_CURRENT, NO_DATA = (
    "allergies",
    "no_known_allergies",
    "none_current",  # only inactive, refuted or entered-in-error records: no current allergy, no assertion
    "no_data",
)
UNNAMED = "Unnamed substance"
HIGH = "high"
# "No known allergy" and its drug, food and environmental siblings.
NO_KNOWN_ALLERGY_CODES = frozenset({"716186003", "409137002", "429625007", "428607008"})
ENDED_CLINICAL_STATUSES = {"inactive", "resolved"}


@dataclass(frozen=True, order=True)
class Reaction:
    manifestations: tuple[str, ...]
    severity: str  # "mild" | "moderate" | "severe" | ""

    @property
    def severity_words(self) -> str:
        return coding.code_words(self.severity)


@dataclass(frozen=True, order=True)
class AllergyRow:
    substance: str
    criticality: str  # "high" | "low" | "unable-to-assess" | ""
    high_criticality: bool
    reactions: tuple[Reaction, ...]
    categories: tuple[str, ...]  # "food", "medication", "environment", "biologic"
    clinical_status: str  # "" when the EHR sent none
    verification_status: str
    recorded: str  # recordedDate (else onset) as sent; shown through the `when` filter
    source_id: str
    recorded_by: str = ""  # the recorder's (else the asserter's) name; "" when it cannot be named

    @property
    def criticality_words(self) -> str:
        return coding.code_words(self.criticality)

    @property
    def verification_words(self) -> str:
        return coding.code_words(self.verification_status)

    @property
    def clinical_words(self) -> str:
        return coding.code_words(self.clinical_status)


@dataclass(frozen=True)
class AllergySummary:
    state: str  # ALLERGIES | NO_KNOWN_ALLERGIES | NONE_CURRENT | NO_DATA
    rows: tuple[AllergyRow, ...]  # current allergies, high criticality first, then by name
    inactive: tuple[AllergyRow, ...]  # inactive or resolved: shown apart, not hidden
    hidden_refuted: int
    hidden_entered_in_error: int
    no_known_allergies: bool
    no_known_assertions: tuple[str, ...]  # e.g. ("No known drug allergy",), as the EHR named them
    contradicted_assertion: bool  # a "no known allergy" record stands next to a current allergy


def summarize_allergies(allergies: list[dict], included: list[dict] = ()) -> AllergySummary:
    """Sort allergy records into current rows, inactive rows, hidden counts and "no known" assertions.

    `included` are the resources the search `_include`d (recorders, asserters), to name who recorded each.
    """
    resources = [a for a in allergies if isinstance(a, dict)] if isinstance(allergies, list) else []
    names = author_names(included)
    # dict.fromkeys: the same record twice (overlapping pages) counts once.
    read = dict.fromkeys((_row(r, names), _is_no_known_assertion(r)) for r in resources)
    current, inactive, assertions = [], [], []
    refuted = entered_in_error = 0
    for row, is_no_known_assertion in read:
        if row.verification_status == "entered-in-error":
            entered_in_error += 1
        elif row.verification_status == "refuted":
            refuted += 1
        elif row.clinical_status in ENDED_CLINICAL_STATUSES:
            inactive.append(row)
        elif is_no_known_assertion:
            assertions.append(row)
        else:
            current.append(row)
    return AllergySummary(
        state=_state(current, assertions, resources),
        rows=tuple(sorted(current, key=_row_sort_key)),
        inactive=tuple(sorted(inactive, key=_row_sort_key)),
        hidden_refuted=refuted,
        hidden_entered_in_error=entered_in_error,
        no_known_allergies=bool(assertions) and not current,
        no_known_assertions=tuple(sorted({row.substance for row in assertions})),
        contradicted_assertion=bool(assertions) and bool(current),
    )


def plain_allergy_line(row: AllergyRow) -> str:
    """A patient's line: "Penicillin: causes hives (severe)", without codes or statuses."""
    substance = row.substance or UNNAMED
    substance = substance[:1].upper() + substance[1:]
    effects = [_plain_reaction(reaction) for reaction in row.reactions]
    effects = [effect for effect in effects if effect]
    return f"{substance}: causes {', '.join(effects)}" if effects else substance


def _state(current: list, assertions: list, resources: list) -> str:
    if current:
        return ALLERGIES
    if assertions:
        return NO_KNOWN_ALLERGIES
    return NONE_CURRENT if resources else NO_DATA


def _is_no_known_assertion(resource: dict) -> bool:
    return coding.has_code(resource.get("code"), SNOMED_SYSTEM, NO_KNOWN_ALLERGY_CODES)


def _row(resource: dict, names: dict[str, str]) -> AllergyRow:
    criticality = coding.status_code(resource.get("criticality"))
    return AllergyRow(
        substance=_substance(resource),
        criticality=criticality,
        high_criticality=criticality == HIGH,
        reactions=tuple(_reaction(r) for r in _dicts(resource.get("reaction"))),
        categories=tuple(
            coding.text(c, SHORT_LIMIT) for c in _list(resource.get("category")) if coding.text(c)
        ),
        clinical_status=coding.status_code(resource.get("clinicalStatus")),
        verification_status=coding.status_code(resource.get("verificationStatus")),
        recorded=coding.text(resource.get("recordedDate"), SHORT_LIMIT)
        or coding.text(resource.get("onsetDateTime"), SHORT_LIMIT),
        source_id=f"AllergyIntolerance/{resource_id}"
        if (resource_id := coding.text(resource.get("id")))
        else "",
        recorded_by=first_named(resource, [resource.get("recorder"), resource.get("asserter")], names),
    )


def _substance(resource: dict) -> str:
    """The coded substance, else the substance a reaction names (some vendors put it only there)."""
    named = coding.display(resource.get("code"))
    reaction_substances = [coding.display(r.get("substance")) for r in _dicts(resource.get("reaction"))]
    return named or next((s for s in reaction_substances if s), "") or UNNAMED


def _reaction(reaction: dict) -> Reaction:
    manifestations = [coding.display(m) for m in _dicts(reaction.get("manifestation"))]
    return Reaction(
        manifestations=tuple(m for m in manifestations if m),
        severity=coding.status_code(reaction.get("severity")),
    )


def _row_sort_key(row: AllergyRow) -> tuple:
    return (
        not row.high_criticality,
        row.substance.casefold(),
        row.substance,
        row.recorded,
        row.source_id,
        row,
    )


def _plain_reaction(reaction: Reaction) -> str:
    said = " and ".join(name[:1].lower() + name[1:] for name in reaction.manifestations if name)
    if not said:
        return ""
    return f"{said} ({reaction.severity_words.lower()})" if reaction.severity else said


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _dicts(value) -> list[dict]:
    return [item for item in _list(value) if isinstance(item, dict)]
