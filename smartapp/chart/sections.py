"""Fetching a chart's sections from the EHR: all searches at once, each failing on its own.

Each section ends in one state (SECURITY.md 5.5), and only `empty` may ever read as "none recorded":
a search that timed out must never show as "no known allergies" (a patient-safety rule).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from smartapp.ehr import configs
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrError, EhrForbidden, EhrUnavailable
from smartapp.ehr.fhir import EhrClient, SearchResult
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.profiles.rules import VendorRules
from smartapp.ehr.scopes import can_read

OK, EMPTY, FAILED, FORBIDDEN, NOT_GRANTED, WITHHELD, TRUNCATED = (
    "ok",
    "empty",
    "failed",
    "forbidden",
    "not_granted",
    "withheld",
    "truncated",
)


PATIENT_RETRY_PAUSE = 0.25  # seconds before the Patient is read again (a user is waiting)

# `_include`s that only bring names along: left out on a retry when a strict server refuses the search.
NAMING_INCLUDES = frozenset(
    ("_include", value)
    for value in (
        "AllergyIntolerance:recorder",
        "AllergyIntolerance:asserter",
        "MedicationRequest:requester",
        "DocumentReference:author",
    )
)


@dataclass(frozen=True)
class SectionQuery:
    name: str
    resource_type: str
    params: tuple[tuple[str, str], ...]
    searchable: bool = True  # False: the vendor cannot search this type, so it is not asked


@dataclass(frozen=True)
class SectionData:
    state: str
    matches: list[dict] = field(default_factory=list)
    included: list[dict] = field(default_factory=list)
    withheld: int = 0
    requests: int = 0


def vendor_rules(config_name: str) -> VendorRules | None:
    """The rule table of registration `config_name`'s vendor; None when it is not (or no longer) enabled."""
    config = configs.by_name(config_name)
    return profile_for(config).rules if config is not None else None


def chart_queries(patient_id: str, rules: VendorRules | None = None) -> tuple[SectionQuery, ...]:
    """The searches behind the chart: one per resource type, each paging on its own.

    With the vendor's `rules`, each keeps only what that vendor takes (ehr/profiles/validity.py): an
    `_include` it does not support is left out (names then come from the references' displays), `_count`
    is at most its largest page, and a type it cannot search is not asked for (its section says the EHR
    does not share it, never "none recorded").
    """
    queries = _chart_queries(patient_id)
    return queries if rules is None else tuple(_for_vendor(query, rules) for query in queries)


def _for_vendor(query: SectionQuery, rules: VendorRules) -> SectionQuery:
    rule = rules.search.get(query.resource_type)
    if rule is None:
        return replace(query, searchable=False)
    kept = [(name, value) for name, value in query.params if name != "_include" or value in rule.includes]
    clamped = [(n, str(min(int(v), rules.max_count)) if n == "_count" else v) for n, v in kept]
    return replace(query, params=tuple(clamped))


def _chart_queries(patient_id: str) -> tuple[SectionQuery, ...]:
    patient = ("patient", patient_id)
    return (
        SectionQuery(
            "allergies",
            "AllergyIntolerance",
            # Who recorded (else asserted) each allergy, named without one read per person.
            (
                patient,
                ("_include", "AllergyIntolerance:recorder"),
                ("_include", "AllergyIntolerance:asserter"),
                ("_count", "200"),
            ),
        ),
        SectionQuery(
            "medication_requests",
            "MedicationRequest",
            # Prescribers by name come along with the orders, like the notes' authors.
            (
                patient,
                ("_include", "MedicationRequest:medication"),
                ("_include", "MedicationRequest:requester"),
                ("_count", "200"),
            ),
        ),
        SectionQuery("medication_statements", "MedicationStatement", (patient, ("_count", "200"))),
        SectionQuery(
            "notes",
            "DocumentReference",
            # The authors come with the notes (names, role specialties) instead of one read each.
            (patient, ("_include", "DocumentReference:author"), ("_count", "200")),
        ),
    )


def fetch_chart(client: EhrClient, *, patient_id: str, queries, granted_scope: str):
    """The Patient and every section, all requested at once: (patient JSON or None, {name: SectionData}).

    EhrAuthExpired propagates (the whole chart needs a relaunch), and so does a Patient read that still
    fails transiently when read again (patient_read). A Patient the EHR answers unreadably (HTML, bad
    JSON, a lone surrogate) is None: the sections are still shown, under a warning in place of the banner,
    as on a note's page; the chart is not lost to one unreadable resource.
    """
    runnable = [q for q in queries if q.searchable and can_read(granted_scope, q.resource_type)]
    results = {q.name: SectionData(NOT_GRANTED) for q in queries if q not in runnable}
    with ThreadPoolExecutor(max_workers=len(runnable) + 1) as pool:
        patient = pool.submit(patient_read, client, patient_id)
        futures = {q.name: pool.submit(_fetch_one, client, q, patient_id) for q in runnable}
        results |= {name: future.result() for name, future in futures.items()}
        return patient.result(), results


def patient_read(client: EhrClient, patient_id: str) -> dict | None:
    """The Patient, read again once after a transient failure (a 500, which the outgoing session does not
    retry, or a 429/5xx still failing after its retries), which then propagates (the EHR is down: the
    "not answering" page); None when the EHR answers with something unreadable. EhrAuthExpired propagates."""
    try:
        return _patient_or_none(client, patient_id)
    except EhrUnavailable as error:
        time.sleep(min(error.retry_after or PATIENT_RETRY_PAUSE, PATIENT_RETRY_PAUSE * 4))
    return _patient_or_none(client, patient_id)


def _patient_or_none(client: EhrClient, patient_id: str) -> dict | None:
    try:
        return client.read("Patient", patient_id)
    except (EhrAuthExpired, EhrUnavailable):
        raise
    except EhrError:
        return None


def _search(client: EhrClient, query: SectionQuery) -> SearchResult:
    """The query's search; a server that refuses it (400) while it asks for `_include`s of people is asked
    again without those. They only name people: a server that does not support one (FHIR lets a strict
    server refuse it) must not cost the section, whose names then come from references' displays."""
    try:
        return client.search(query.resource_type, list(query.params))
    except EhrBadResponse:
        plain = [(name, value) for name, value in query.params if (name, value) not in NAMING_INCLUDES]
        if len(plain) == len(query.params):
            raise
        return client.search(query.resource_type, plain)


def _fetch_one(client: EhrClient, query: SectionQuery, patient_id: str) -> SectionData:
    try:
        result = _search(client, query)
    except EhrAuthExpired:
        raise
    except EhrForbidden:
        return SectionData(FORBIDDEN)
    except EhrError:
        return SectionData(FAILED)
    if any(_names_another_patient(match, patient_id) for match in result.matches):
        # The EHR answered this patient's search with someone else's record: nothing in the answer can be
        # trusted to be this patient's, so none of it is shown (a patient-safety rule, like FAILED's).
        return SectionData(FAILED, requests=result.requests)
    return SectionData(
        _state_of(result), result.matches, result.included, len(result.withheld), result.requests
    )


def _names_another_patient(resource: dict, patient_id: str) -> bool:
    """True when the resource's patient (AllergyIntolerance.patient, else .subject) is a Patient reference
    to someone other than `patient_id`. A resource naming no patient by a literal reference (none, a
    contained "#id", a urn:) is left to the EHR's search."""
    reference = resource.get("patient", resource.get("subject"))
    target = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(target, str) or not target.strip() or target.startswith(("#", "urn:")):
        return False
    parts = target.split("/_history/")[0].rstrip("/").split("/")
    return len(parts) < 2 or parts[-2] != "Patient" or parts[-1] != patient_id


def _state_of(result: SearchResult) -> str:
    if result.truncated:
        return TRUNCATED
    if result.withheld:
        return WITHHELD
    return OK if result.matches else EMPTY
