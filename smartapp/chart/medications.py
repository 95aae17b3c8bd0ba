"""Reconciling MedicationRequest and MedicationStatement resources into one medication list.

Duplicates are grouped only on an exact RxNorm code or an exact normalized name, never by a fuzzy
guess: two different drugs shown as one is a worse error than one drug shown twice.
"""

from collections import defaultdict
from dataclasses import dataclass

from smartapp.chart import coding
from smartapp.chart.coding import RXNORM_SYSTEM, SHORT_LIMIT, TEXT_LIMIT
from smartapp.chart.dosage import dosage_line, structured_key

UNNAMED = "Unnamed medication"
ACTIVE_RANK, ON_HOLD_RANK, ENDED_RANK, UNKNOWN_RANK = 0, 1, 2, 3
# Active on top, then on hold, then everything that ended (stopped, completed, cancelled, ...), unknown last.
STATUS_RANK = {"active": ACTIVE_RANK, "on-hold": ON_HOLD_RANK, "unknown": UNKNOWN_RANK, "": UNKNOWN_RANK}
# Which status, next to an active source, makes a conflict worth a clinician's look.
CONFLICTING_STATUSES = {
    "stopped": "active in one source, stopped in another",
    "on-hold": "active in one source, on hold in another",
    "not-taken": "active in one source, not taken in another",
}
DIFFERENT_DOSE = "different dose"
PLAIN_ENDINGS = {"on-hold": "paused", "completed": "finished"}
PATIENT_REPORTERS = {"Patient", "RelatedPerson"}
CLINICAL_REPORTERS = {"Practitioner", "PractitionerRole", "Organization"}


@dataclass(frozen=True, order=True)
class MedicationEntry:
    """One source's word on a medication: a MedicationRequest or a MedicationStatement."""

    kind: str  # "request" | "statement"
    name: str
    status: str
    dosage: str
    person: str  # the prescriber (request) or the informant (statement): display, else reference
    date: str  # authoredOn (request) or effective/asserted date (statement), as sent
    source_id: str  # "MedicationRequest/123"
    patient_reported: bool
    intent: str  # "order", "plan" (Oracle Health home medications), ... ; "" for statements
    dose_key: str = ""  # the structured dose (dosage.structured_key), "" when not fully structured

    @property
    def status_rank(self) -> int:
        return status_rank(self.status)


@dataclass(frozen=True)
class MedicationGroup:
    """One medication as the chart shows it, with every source that mentions it."""

    name: str
    rxnorm: str
    status: str  # the most current status among the sources
    status_rank: int
    sources: tuple[MedicationEntry, ...]
    conflicts: tuple[str, ...]


def status_rank(status: str) -> int:
    """0 active, 1 on hold, 2 ended (stopped, completed, cancelled, draft, ...), 3 unknown."""
    return STATUS_RANK.get(status, ENDED_RANK)


def reconcile_medications(
    requests: list[dict], statements: list[dict], medications: list[dict]
) -> list[MedicationGroup]:
    """Every request and statement, grouped on exact RxNorm code or exact normalized name, display-ordered.

    `medications` are the `_include`d Medication resources that `medicationReference`s point at.
    The same resource given twice (overlapping pages) counts once; the result does not depend on input order.
    """
    by_reference = _index_medications(medications)
    found = [_read(r, "request", by_reference) for r in _dicts(requests)]
    found += [_read(s, "statement", by_reference) for s in _dicts(statements)]
    groups = _group(dict.fromkeys(found))  # dict.fromkeys: drop exact duplicates, keep a stable order
    return sorted(groups, key=_group_sort_key)


def plain_medication_line(group: MedicationGroup) -> str:
    """A patient's line: "Amlodipine 5 mg oral tablet — take 1 tablet once daily", no clinician detail.

    A medicine that is not current shows how it ended instead of its directions, which no longer apply.
    """
    name = _plain_name(group.name)
    if group.status_rank in (ON_HOLD_RANK, ENDED_RANK):
        return f"{name} — {PLAIN_ENDINGS.get(group.status, 'stopped')}"
    dosage = next((s.dosage for s in group.sources if s.dosage), "")
    return f"{name} — {dosage[:1].lower()}{dosage[1:]}" if dosage else name


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _index_medications(medications) -> dict[str, dict]:
    index: dict[str, dict] = {}
    for medication in _dicts(medications):
        medication_id = coding.text(medication.get("id"), SHORT_LIMIT)
        if medication_id:
            index.setdefault(f"Medication/{medication_id}", medication)
    return index


def _concept(resource: dict, by_reference: dict[str, dict]) -> tuple[dict, str]:
    """The medication's CodeableConcept, and the reference's display as a name of last resort."""
    if isinstance(resource.get("medicationCodeableConcept"), dict):
        return resource["medicationCodeableConcept"], ""
    reference = resource.get("medicationReference")
    target = coding.text(reference.get("reference"), 300) if isinstance(reference, dict) else ""
    medication = _contained(resource, target[1:]) if target.startswith("#") else None
    if medication is None and target:
        # Absolute ("https://ehr/fhir/Medication/9") and versioned (".../_history/2") references resolve too.
        unversioned = target.split("/_history/")[0]
        medication = by_reference.get("/".join(unversioned.split("/")[-2:]))
    concept = medication.get("code") if isinstance(medication, dict) else None
    return (concept if isinstance(concept, dict) else {}), coding.reference_label(reference)


def _contained(resource: dict, local_id: str) -> dict | None:
    for contained in _dicts(resource.get("contained")):
        if local_id and contained.get("id") == local_id:
            return contained
    return None


def _read(resource: dict, kind: str, by_reference: dict[str, dict]) -> tuple[MedicationEntry, str, frozenset]:
    """The entry, its RxNorm code and every normalized name its concept goes by."""
    concept, fallback_name = _concept(resource, by_reference)
    dosages = _dicts(resource.get("dosageInstruction" if kind == "request" else "dosage"))
    entry = MedicationEntry(
        kind=kind,
        name=coding.display(concept) or coding.text(fallback_name) or UNNAMED,
        status=coding.status_code(resource.get("status")),
        dosage="; ".join(line for line in map(dosage_line, dosages) if line)[:TEXT_LIMIT],
        person=coding.reference_label(
            resource.get("requester" if kind == "request" else "informationSource")
        ),
        date=_date(resource, kind),
        source_id=_source_id(resource, kind),
        patient_reported=_patient_reported(resource, kind),
        intent=coding.status_code(resource.get("intent")) if kind == "request" else "",
        dose_key=_dose_key(dosages),
    )
    names = coding.all_names(concept) or ({coding.normalized(fallback_name)} - {""})
    return entry, coding.code_in(concept, RXNORM_SYSTEM), frozenset(names)


def _dose_key(dosages: list[dict]) -> str:
    """Every dosage's structured key, joined; "" unless each one is fully structured."""
    keys = [structured_key(d) for d in dosages]
    return "; ".join(keys)[:TEXT_LIMIT] if keys and all(keys) else ""


def _date(resource: dict, kind: str) -> str:
    if kind == "request":
        return coding.text(resource.get("authoredOn"), SHORT_LIMIT)
    period = resource.get("effectivePeriod") if isinstance(resource.get("effectivePeriod"), dict) else {}
    candidates = [resource.get("effectiveDateTime"), period.get("start"), resource.get("dateAsserted")]
    return next((coding.text(c, SHORT_LIMIT) for c in candidates if coding.text(c)), "")


def _source_id(resource: dict, kind: str) -> str:
    resource_id = coding.text(resource.get("id"), SHORT_LIMIT)
    resource_type = "MedicationRequest" if kind == "request" else "MedicationStatement"
    return f"{resource_type}/{resource_id}" if resource_id else ""


def _patient_reported(resource: dict, kind: str) -> bool:
    if kind == "request":
        # Oracle Health sends home medications as intent=plan requests flagged as reported.
        reported_by = coding.reference_type(resource.get("reportedReference"))
        return resource.get("reportedBoolean") is True or reported_by in PATIENT_REPORTERS
    # A statement is the patient's account unless it says a clinician or organization was the source.
    return coding.reference_type(resource.get("informationSource")) not in CLINICAL_REPORTERS


def _group(found) -> list[MedicationGroup]:
    """Group on RxNorm code; an uncoded entry joins a coded group only when its name picks out one code."""
    codes_by_name: dict[str, set[str]] = defaultdict(set)
    for _entry, rxnorm, names in found:
        for name in names if rxnorm else ():
            codes_by_name[name].add(rxnorm)
    buckets: dict[tuple, list[MedicationEntry]] = defaultdict(list)
    for entry, rxnorm, names in found:
        buckets[_group_key(entry, rxnorm, names, codes_by_name)].append(entry)
    return [_make_group(key, entries) for key, entries in buckets.items()]


def _group_key(entry, rxnorm: str, names: frozenset, codes_by_name) -> tuple:
    if rxnorm:
        return ("rxnorm", rxnorm)
    if not names:
        return ("unnamed", entry)  # never merged with anything but itself
    codes = set().union(*(codes_by_name.get(name, set()) for name in names))
    if len(codes) == 1:
        return ("rxnorm", codes.pop())
    return ("text", coding.normalized(entry.name))


def _make_group(key: tuple, entries: list[MedicationEntry]) -> MedicationGroup:
    sources = tuple(sorted(entries, key=_entry_sort_key))
    rxnorm = key[1] if key[0] == "rxnorm" else ""
    coded = [s for s in sources if s.name != UNNAMED]
    return MedicationGroup(
        name=(coded or sources)[0].name,
        rxnorm=rxnorm,
        status=sources[0].status,
        status_rank=sources[0].status_rank,
        sources=sources,
        conflicts=_conflicts(sources),
    )


def _conflicts(sources: tuple[MedicationEntry, ...]) -> tuple[str, ...]:
    current = [s for s in sources if s.status != "entered-in-error"]
    conflicts = []
    dosed = [s for s in current if s.dosage]
    if any(not _same_dose(a, b) for a in dosed for b in dosed):
        conflicts.append(DIFFERENT_DOSE)
    statuses = {s.status for s in current}
    if "active" in statuses:
        conflicts += [message for status, message in CONFLICTING_STATUSES.items() if status in statuses]
    return tuple(conflicts)


def _same_dose(a: MedicationEntry, b: MedicationEntry) -> bool:
    """Structured doses compare when both sources have one (a text and its own structure may be worded
    differently); otherwise what is shown is compared, casefolded with whitespace collapsed."""
    if a.dose_key and b.dose_key:
        return a.dose_key == b.dose_key
    return coding.normalized(a.dosage) == coding.normalized(b.dosage)


def _entry_sort_key(entry: MedicationEntry) -> tuple:
    # Most current first, newest first within a status (undated last); the whole entry breaks ties.
    newest_first = tuple(-ord(char) for char in entry.date)
    return (entry.status_rank, not entry.date, newest_first, entry)


def _group_sort_key(group: MedicationGroup) -> tuple:
    return (group.status_rank, group.name.casefold(), group.rxnorm, group.sources)


def _plain_name(name: str) -> str:
    """RxNorm's "amlodipine 5 MG Oral Tablet" as "Amlodipine 5 mg oral tablet"."""
    words = [word.lower() if word.isupper() or word.istitle() else word for word in name.split(" ")]
    plain = " ".join(words)
    return plain[:1].upper() + plain[1:]
