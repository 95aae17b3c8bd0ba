"""Reconciling MedicationRequest and MedicationStatement resources into one medication list.

Duplicates are grouped only on an exact RxNorm code or an exact normalized name, never by a fuzzy
guess: two different drugs shown as one is a worse error than one drug shown twice.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from smartapp.chart import coding
from smartapp.chart.authors import author_names, first_named
from smartapp.chart.coding import RXNORM_SYSTEM, SHORT_LIMIT, TEXT_LIMIT
from smartapp.chart.dosage import dosage_line, structured_key
from smartapp.chart.medication_truth import history_label, standing
from smartapp.ehr.dates import parse_fhir_datetime

UNNAMED = "Unnamed medication"
ACTIVE_RANK, ON_HOLD_RANK, ENDED_RANK, UNKNOWN_RANK = 0, 1, 2, 3
# Active on top, then on hold, then everything that ended (stopped, completed, cancelled, ...), unknown last.
STATUS_RANK = {
    "active": ACTIVE_RANK,
    "intended": ACTIVE_RANK,
    "on-hold": ON_HOLD_RANK,
    "suspended": ON_HOLD_RANK,
    "unknown": UNKNOWN_RANK,
    "draft": UNKNOWN_RANK,
    "": UNKNOWN_RANK,
}
PATIENT_REPORTERS = {"Patient", "RelatedPerson"}
CLINICAL_REPORTERS = {"Practitioner", "PractitionerRole", "Organization"}


@dataclass(frozen=True, order=True)
class MedicationEntry:
    """One source's word on a medication: a MedicationRequest or a MedicationStatement."""

    kind: str  # "request" | "statement"
    name: str
    status: str
    dosage: str
    person: str  # the prescriber (request) or the informant (statement), by name; "" when unknown
    date: str  # authoredOn (request) or the newest of effective/asserted dates (statement), as sent
    source_id: str  # "MedicationRequest/123"
    patient_reported: bool
    intent: str  # "order", "plan" (Oracle Health home medications), ... ; "" for statements
    dose_key: str = ""  # the structured dose (dosage.structured_key), "" when not fully structured
    when: datetime | None = field(default=None, compare=False)  # `date` parsed, for ordering

    @property
    def status_rank(self) -> int:
        return status_rank(self.status)

    @property
    def status_words(self) -> str:
        return status_words(self.status)

    @property
    def source_words(self) -> str:
        if self.kind == "request":
            return "Reported by the patient" if self.patient_reported else "Order"
        return "The patient's statement" if self.patient_reported else "Statement"


@dataclass(frozen=True)
class MedicationGroup:
    """One medication as the chart shows it, with every source that mentions it."""

    name: str
    rxnorm: str
    status: str  # the newest current source's status: the medication's state today
    status_rank: int
    sources: tuple[MedicationEntry, ...]  # every source, newest first, undated last
    conflicts: tuple[str, ...]  # only about today: current sources that disagree
    current: tuple[MedicationEntry, ...] = ()  # the sources that speak for today
    history: tuple[MedicationEntry, ...] = ()  # earlier words their line's newer ones replaced
    in_use: bool = True  # False: a past medicine, no current source says it is taken or paused

    @property
    def status_words(self) -> str:
        return status_words(self.status)

    @property
    def history_label(self) -> str:
        return history_label(self.history)

    @property
    def last_date(self) -> str:
        """The newest date any source gives, as sent."""
        return next((s.date for s in self.sources if s.when), "")


def status_words(status: str) -> str:
    """A status as a reader sees it: "On hold", "Entered in error"; "Status not recorded" when none."""
    return coding.code_words(status) or "Status not recorded"


def status_rank(status: str) -> int:
    """0 active, 1 on hold, 2 ended (stopped, completed, cancelled, draft, ...), 3 unknown."""
    return STATUS_RANK.get(status, ENDED_RANK)


def reconcile_medications(
    requests: list[dict], statements: list[dict], included: list[dict]
) -> list[MedicationGroup]:
    """Every request and statement, grouped on exact RxNorm code or exact normalized name, display-ordered:
    medications in use first (by state, then name), then past medicines, newest last use first.

    `included` are the `_include`d resources: the Medications that `medicationReference`s point at and the
    Practitioners, PractitionerRoles and Organizations that name prescribers. The same resource given twice
    (overlapping pages) counts once; the result does not depend on input order.
    """
    by_reference = _index_medications(included)
    people, dosage_cache = author_names(included), {}
    found = [_read(r, "request", by_reference, people, dosage_cache) for r in _dicts(requests)]
    found += [_read(s, "statement", by_reference, people, dosage_cache) for s in _dicts(statements)]
    groups = _group(dict.fromkeys(found))  # dict.fromkeys: drop exact duplicates, keep a stable order
    return sorted(groups, key=_group_sort_key)


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _index_medications(included) -> dict[str, dict]:
    index: dict[str, dict] = {}
    for medication in _dicts(included):
        if medication.get("resourceType") not in ("Medication", None):
            continue
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


def _read(
    resource: dict, kind: str, by_reference: dict, people: dict, dosage_cache: dict
) -> tuple[MedicationEntry, str, frozenset]:
    """The entry, its RxNorm code and every normalized name its concept goes by."""
    concept, fallback_name = _concept(resource, by_reference)
    dosages = _dicts(resource.get("dosageInstruction" if kind == "request" else "dosage"))
    readings = _dosage_readings(dosages, dosage_cache)
    date = _date(resource, kind)
    entry = MedicationEntry(
        kind=kind,
        name=coding.display(concept) or coding.text(fallback_name) or UNNAMED,
        status=coding.status_code(resource.get("status")),
        dosage=_dosage_text(readings),
        person=_person(resource, kind, people),
        date=date,
        source_id=_source_id(resource, kind),
        patient_reported=_patient_reported(resource, kind),
        intent=coding.status_code(resource.get("intent")) if kind == "request" else "",
        dose_key=_dose_key(readings),
        when=parse_fhir_datetime(date),
    )
    names = coding.all_names(concept) or ({coding.normalized(fallback_name)} - {""})
    return entry, coding.code_in(concept, RXNORM_SYSTEM), frozenset(names)


def _dosage_readings(dosages: list[dict], cache: dict) -> list[tuple[str, str]]:
    """(dosage_line, structured_key) of each Dosage. A long record repeats a few dosages hundreds of times
    (yearly renewals), so each distinct one is read once per chart (`cache`, never kept across charts)."""
    readings = []
    for dosage in dosages:
        try:
            serialized = orjson.dumps(dosage, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError):
            serialized = None
        reading = cache.get(serialized) if serialized else None
        if reading is None:
            reading = (dosage_line(dosage), structured_key(dosage))
            if serialized:
                cache[serialized] = reading
        readings.append(reading)
    return readings


def _person(resource: dict, kind: str, people: dict[str, str]) -> str:
    """The prescriber or informant by name; a statement from the Patient is "the patient"; else ""."""
    reference = resource.get("requester" if kind == "request" else "informationSource")
    named = first_named(resource, reference, people)
    if not named and kind == "statement" and coding.reference_type(reference) == "Patient":
        return "the patient"
    return named


def _dosage_text(readings: list[tuple[str, str]]) -> str:
    return "; ".join(line for line, _key in readings if line)[:TEXT_LIMIT]


def _dose_key(readings: list[tuple[str, str]]) -> str:
    """Every dosage's structured key, joined; "" unless each one is fully structured."""
    keys = [key for _line, key in readings]
    return "; ".join(keys)[:TEXT_LIMIT] if keys and all(keys) else ""


def _date(resource: dict, kind: str) -> str:
    """authoredOn for a request (else when its supply or first dosage starts: some servers leave authoredOn
    out); for a statement the newest date it speaks for (effective or asserted)."""
    if kind == "request":
        candidates = [resource.get("authoredOn"), *_request_starts(resource)]
        return next((c for c in (coding.text(c, SHORT_LIMIT) for c in candidates) if c), "")
    period = resource.get("effectivePeriod") if isinstance(resource.get("effectivePeriod"), dict) else {}
    candidates = [resource.get("effectiveDateTime"), period.get("end"), period.get("start")]
    candidates = [coding.text(c, SHORT_LIMIT) for c in [*candidates, resource.get("dateAsserted")]]
    dated = [(when, c) for c in candidates if (when := parse_fhir_datetime(c))]
    return max(dated)[1] if dated else next((c for c in candidates if c), "")


def _request_starts(resource: dict) -> list:
    supply = resource.get("dispenseRequest") if isinstance(resource.get("dispenseRequest"), dict) else {}
    validity = supply.get("validityPeriod") if isinstance(supply.get("validityPeriod"), dict) else {}
    dosages = _dicts(resource.get("dosageInstruction"))
    timing = dosages[0].get("timing") if dosages and isinstance(dosages[0].get("timing"), dict) else {}
    repeat = timing.get("repeat") if isinstance(timing.get("repeat"), dict) else {}
    bounds = repeat.get("boundsPeriod") if isinstance(repeat.get("boundsPeriod"), dict) else {}
    return [validity.get("start"), bounds.get("start")]


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
    today = standing(sources, same_dose=same_dose)
    named = [s for s in (*today.current, *sources) if s.name != UNNAMED]
    return MedicationGroup(
        name=(named or sources)[0].name,
        rxnorm=rxnorm,
        status=today.status,
        status_rank=status_rank(today.status),
        sources=sources,
        conflicts=today.conflicts,
        current=today.current,
        history=today.history,
        in_use=today.in_use,
    )


def same_dose(a: MedicationEntry, b: MedicationEntry) -> bool:
    """Structured doses compare when both sources have one (a text and its own structure may be worded
    differently); otherwise what is shown is compared, casefolded with whitespace collapsed."""
    if a.dose_key and b.dose_key:
        return a.dose_key == b.dose_key
    return coding.normalized(a.dosage) == coding.normalized(b.dosage)


def _entry_sort_key(entry: MedicationEntry) -> tuple:
    # Newest first (undated last), then the most current status; the whole entry breaks ties.
    newest_first = -entry.when.timestamp() if entry.when else 0.0
    return (entry.when is None, newest_first, entry.status_rank, entry)


def _group_sort_key(group: MedicationGroup) -> tuple:
    if group.in_use:
        return (0, group.status_rank, 0.0, group.name.casefold(), group.rxnorm, group.sources)
    last = next((s.when for s in group.sources if s.when), None)
    return (1, 0, -last.timestamp() if last else 0.0, group.name.casefold(), group.rxnorm, group.sources)
