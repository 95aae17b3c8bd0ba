"""Property tests (SECURITY.md 7.3 e): arbitrary JSON spliced anywhere into real FHIR resources never
breaks the referral mappers or the follow-up state function.

The skeletons are the sandbox generator's own resources (the shapes a sync reads), and a splice replaces
any element at any depth, or adds one, with arbitrary JSON or a hostile string. The invariants:
- a mapper raises nothing but the documented elements.Unparseable, and that only for a resource that is
  not an object of its type with a valid id;
- every string it returns is bounded (TEXT_LIMIT; references REF_LIMIT), every date a date and every
  moment a time-zone-aware datetime (the state function compares them);
- mapping is pure: the same input gives the same facts;
- the state function is total over whatever the mappers give (any Task/Appointment/Encounter/note facts,
  any link): a state among STATES with a short reason, backed by evidence it was given.
tests/referrals/test_mappers.py and test_state.py hold the top-level-key and enumerated-status versions.
"""

import copy
import dataclasses
import re
from datetime import date, datetime
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smartapp.ehr.ids import is_fhir_id
from smartapp.referrals import mappers
from smartapp.referrals.elements import REF_LIMIT, TEXT_LIMIT, Unparseable
from smartapp.referrals.facts import BASED_ON, ENCOUNTER_LINK, FOCUS, INFERRED, RELATED, EvidenceFacts
from smartapp.referrals.state import STATES, follow_up
from smartapp.sandbox.synthetic import catalog, generate

# Few examples and no example database: the suite stays fast and leaves no .hypothesis/ in the tree.
FAST = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date(2025, 6, 1)
KEY_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")

HOSTILE_STRINGS = [
    "", " ", "../..", "Patient/../../etc", "ServiceRequest/..", "Practitioner/" + "x" * 65, "#", "#missing",
    "urn:uuid:0", "http://127.0.0.2/fhir/ServiceRequest/sr-1", "ServiceRequest/sr-1/_history/2",
    "ServiceRequest?identifier=x", "\x00", "\u202eevil", "\ud800", "<script>alert(1)</script>", "A" * 5000,
    "9999-99-99", "2025-02-30", "2025-06-01T25:61:00Z", "2025-06-01T10:00:00+99:00", "0000-01-01",
    "-2025-01-01", "2025-06", "2025", "1e309", "NaN", "booked", "FULFILLED", "noshow", "entered-in-error",
    "IMP", "11488-4", "3457005", "referral",
]  # fmt: skip
HOSTILE_REFERENCES = [
    "ServiceRequest/..", "Practitioner/.", "Patient/..", "Patient/../p-2", "ServiceRequest/sr 1",
    "Practitioner/pr%2F..", "Practitioner/" + "x" * 65, "servicerequest/sr-1", "/ServiceRequest/sr-1",
    "ServiceRequest/", "S/sr-1", "Practitioner/pr-1?x=1", "http://h/fhir/Practitioner/..",
    "ServiceRequest/sr-1\x00", "ServiceRequest/ѕr-1", "Encounter/e-1/_history/..",
]  # fmt: skip
hostile_strings = st.text(min_size=201, max_size=300) | st.sampled_from(HOSTILE_STRINGS)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(HOSTILE_STRINGS),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12) | st.sampled_from(
            ["reference", "coding", "code", "display", "text", "start", "end", "status", "id", "resourceType",
             "practitioner", "specialty", "related", "period", "individual", "actor"]), children, max_size=4)
    ),
    max_leaves=10,
)  # fmt: skip
FHIR_ELEMENTS = [
    "status", "category", "code", "subject", "performer", "performerType", "requester", "authoredOn",
    "occurrenceDateTime", "occurrencePeriod", "basedOn", "focus", "for", "owner", "businessStatus",
    "participant", "start", "class", "period", "type", "context", "author", "date", "contained", "meta",
    "reasonCode", "incomingReferral", "serviceType", "specialty", "docStatus", "lastModified", "name",
]  # fmt: skip


@cache
def skeletons() -> dict[str, tuple[dict, ...]]:
    """A few real resources of each type the sync maps, as the sandbox generator makes them."""
    by_type: dict[str, list[dict]] = {}
    for resource in generate(anchor=TODAY):
        by_type.setdefault(resource["resourceType"], []).append(resource)
    wanted = ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference", "Patient")
    chosen = {name: by_type[name][:3] + by_type[name][-2:] for name in wanted}
    # The follow-up scenario patient's resources reference one another: the richest shapes.
    for resources in by_type.values():
        for resource in resources:
            if catalog.REFERRAL_PATIENT_ID in str(resource.get("subject", resource.get("for", ""))):
                chosen[resource["resourceType"]] = [*chosen.get(resource["resourceType"], []), resource]
    return {name: tuple(resources) for name, resources in chosen.items() if name in wanted}


def _paths(value, prefix=()):
    """Every element's path in `value` (dict keys and list indexes), the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replaced(value, path, junk):
    if not path:
        return junk
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value.get(head), rest, junk)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [*value[:head], _replaced(value[head], rest, junk), *value[head + 1 :]]
    return value


@st.composite
def spliced(draw, resource_type: str, keep_identity: bool = False) -> dict:
    """A real resource of `resource_type` with one to four elements replaced or added: any element at any
    depth by arbitrary JSON, a string by a hostile string, or a new top-level element."""
    resource = copy.deepcopy(draw(st.sampled_from(skeletons()[resource_type])))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(resource) if p and not (keep_identity and p[0] in ("id", "resourceType"))]
        strings = [p for p in paths if isinstance(_at(resource, p), str)]
        references = [p for p in strings if p[-1] == "reference"]
        mode = draw(st.sampled_from(["anywhere", "string", "string", "reference", "added"]))
        if mode == "reference" and references:
            resource = _replaced(
                resource, draw(st.sampled_from(references)), draw(st.sampled_from(HOSTILE_REFERENCES))
            )
        elif mode == "string" and strings:
            resource = _replaced(resource, draw(st.sampled_from(strings)), draw(hostile_strings))
        elif mode == "added" or not paths:
            resource = _replaced(resource, (draw(st.sampled_from(FHIR_ELEMENTS)),), draw(json_values))
        else:
            resource = _replaced(resource, draw(st.sampled_from(paths)), draw(json_values))
    return resource


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def _map(resource_type: str, resource):
    """Every mapper for `resource_type`, as the sync calls them."""
    if resource_type == "ServiceRequest":
        return [mappers.service_request(resource, default_due_days=30, patient_names={"Patient/p-1": "A B"})]
    if resource_type == "Encounter":
        return [mappers.encounter(resource), mappers.discharge(resource)]
    return [{"Task": mappers.task, "Appointment": mappers.appointment,
             "DocumentReference": mappers.consult_note}[resource_type](resource)]  # fmt: skip


def _is_key(ref: str) -> bool:
    resource_type, _, resource_id = ref.partition("/")
    return KEY_TYPE.fullmatch(resource_type) is not None and is_fhir_id(resource_id)


def _bounded(facts) -> None:
    for field in dataclasses.fields(facts):
        value = getattr(facts, field.name)
        if isinstance(value, str):
            limit = REF_LIMIT if field.name.endswith("_ref") else TEXT_LIMIT
            assert len(value) <= limit, (field.name, len(value))
            if field.name.endswith("_ref"):  # references end up in queries and URLs: "Type/id" or nothing
                assert value == "" or _is_key(value), (field.name, value)
        elif isinstance(value, datetime):
            assert value.tzinfo is not None, field.name  # compared with aware datetimes in state.py
        elif field.name in ("authored_on", "due_date"):
            assert value is None or (isinstance(value, date) and not isinstance(value, datetime)), field.name
    for ref, link in getattr(facts, "targets", ()):
        assert (
            ref.startswith("ServiceRequest/") and len(ref) <= REF_LIMIT and link in (BASED_ON, FOCUS, RELATED)
        )
    version = facts.version
    assert version.last_updated is None or version.last_updated.tzinfo is not None
    assert len(version.version_id) <= TEXT_LIMIT


MAPPED = ["ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference"]


@FAST
@given(data=st.data(), resource_type=st.sampled_from(MAPPED))
def test_a_mapper_raises_only_unparseable_and_keeps_its_output_bounded(data, resource_type):
    resource = data.draw(spliced(resource_type))
    try:
        results = _map(resource_type, resource)
    except Unparseable:
        identity_ok = (
            isinstance(resource, dict)
            and resource.get("resourceType") == resource_type
            and isinstance(resource.get("id"), str)
            and 1 <= len(resource["id"]) <= 64
            and resource["id"] not in (".", "..")
            and all(c.isascii() and (c.isalnum() or c in "-.") for c in resource["id"])
        )
        assert not identity_ok  # refused only for a resource that is not one of its type with a valid id
        return
    for facts in results:
        if facts is not None:
            _bounded(facts)
            assert facts.fhir_ref == f"{resource_type}/{resource['id']}"
    assert _map(resource_type, copy.deepcopy(resource)) == results  # pure


@FAST
@given(resource_type=st.sampled_from(MAPPED), value=json_values)
def test_a_resource_that_is_not_an_object_is_unparseable(resource_type, value):
    assume(not isinstance(value, dict))
    try:
        _map(resource_type, value)
    except Unparseable:
        return
    raise AssertionError("a non-object was mapped")


@FAST
@given(data=st.data())
def test_a_patient_name_is_always_a_bounded_string(data):
    resource = data.draw(spliced("Patient") | json_values)
    name = mappers.patient_name(resource)
    assert isinstance(name, str) and len(name) <= TEXT_LIMIT


LINKS = st.sampled_from([BASED_ON, FOCUS, RELATED, ENCOUNTER_LINK, INFERRED, ""])


@st.composite
def mapped_evidence(draw) -> list[EvidenceFacts]:
    """Whatever the mappers make of spliced Tasks, Appointments, Encounters and notes, tied by any link."""
    evidence = []
    for _ in range(draw(st.integers(0, 5))):
        resource_type = draw(st.sampled_from(["Task", "Appointment", "Encounter", "DocumentReference"]))
        try:
            facts = _map(resource_type, draw(spliced(resource_type, keep_identity=True)))[0]
        except Unparseable:
            continue
        if facts is not None:
            evidence.append(dataclasses.replace(facts, link=draw(LINKS)))
    return evidence


@FAST
@given(data=st.data(), evidence=mapped_evidence(), today=st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_the_state_function_is_total_over_whatever_the_mappers_give(data, evidence, today):
    kind = data.draw(st.sampled_from(["ServiceRequest", "Encounter"]))
    try:
        results = _map(kind, data.draw(spliced(kind, keep_identity=True)))
    except Unparseable:
        return
    referral = results[-1] if kind == "Encounter" else results[0]  # an Encounter's expectation: discharge
    assume(referral is not None)

    result = follow_up(referral, evidence, today=today)

    assert result.state in STATES
    assert isinstance(result.reason, str) and 0 < len(result.reason) <= 120
    assert all(item in evidence for item in result.evidence)
    assert follow_up(referral, list(reversed(evidence)), today=today) == result  # order-free
    assert len(result.summary) <= 120 + REF_LIMIT + 2
