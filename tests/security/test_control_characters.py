"""Control characters, bidirectional controls and code points that are not characters, from the EHR, never
reach a page (docs/security.md "Control characters").

A property over the readers (chart/coding.py text() and every reader built on it), then over the whole
chart: real sandbox resources with hostile characters put into every string they hold, through the banner,
allergy, medication and note mappers, the patient's plain-language lines and the note filter choices.
Then end to end: a hostile EHR (tests/security/fake_registration.py) sends them, and the chart is a 200
page without them; a Patient whose name holds a lone surrogate (which strict JSON parsing refuses) leaves
the rest of the chart shown; a Patient read that fails once with a 500 is read again.
"""

import copy
import dataclasses
import json
import unicodedata
from datetime import date
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smartapp.chart import coding, sections
from smartapp.chart.mappers import patient_banner
from smartapp.chart.presenter import chart_rows, patient_rows
from smartapp.sandbox.synthetic import generate
from tests.ehr.auth_fakes import Answer
from tests.security.battery import assert_clear_page
from tests.security.fake_registration import PATIENT, fhir, patient, searchset
from tests.security.test_hostile_fhir import allergy, allergy_section, launched

FAST = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date(2025, 6, 1)
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
NONCHARACTERS = "\ufdd0\ufdef\ufffe\uffff\U0001fffe\U0010ffff"
LONE_SURROGATES = "\ud800\udbff\udc00\udfff"
C0_C1 = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]))


def unsafe(character: str) -> bool:
    """What no string shown on a page may hold: a control (whitespace is folded to a space), a
    bidirectional control, a surrogate or a noncharacter."""
    point = ord(character)
    return (
        unicodedata.category(character) in ("Cc", "Cs")
        or character in BIDI_CONTROLS
        or 0xFDD0 <= point <= 0xFDEF
        or (point & 0xFFFE) == 0xFFFE
    )


hostile_characters = st.sampled_from(C0_C1 + BIDI_CONTROLS + NONCHARACTERS + LONE_SURROGATES)
hostile_text = st.lists(
    hostile_characters | st.characters(exclude_categories=()) | st.sampled_from("Peanut \t\n"), max_size=40
).map("".join)


def shown_strings(value):
    """Every string in a tree of dataclasses, mappings, tuples and lists (what a template can print)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from shown_strings(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from shown_strings(key)
            yield from shown_strings(item)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from shown_strings(item)


def assert_safe(value) -> None:
    for string in shown_strings(value):
        assert not any(map(unsafe, string)), ascii(string)


# -- the readers -------------------------------------------------------------------------------------
@FAST
@given(value=hostile_text, limit=st.integers(1, 600))
@example(value="000000\t\ufdd0", limit=7)  # the cut fell just after a folded tab
def test_text_leaves_no_control_bidi_control_or_non_character(value, limit):
    shown = coding.text(value, limit)

    assert not any(map(unsafe, shown)) and len(shown) <= limit
    assert shown == shown.strip() and "  " not in shown


@FAST
@given(value=hostile_text)
def test_every_reader_built_on_text_is_clean(value):
    concept = {"text": value, "coding": [{"system": coding.SNOMED_SYSTEM, "code": value, "display": value}]}
    names = [{"use": "official", "text": value}, {"given": [value], "family": value, "suffix": [value]}]
    shown = [
        coding.display(concept),
        coding.display({"coding": [{"code": value}]}),
        coding.normalized(value),
        coding.code_in(concept, coding.SNOMED_SYSTEM),
        coding.code_words(value),
        coding.status_code(value),
        coding.status_code(concept),
        coding.reference_label({"display": value}),
        coding.human_name(names),
        coding.human_name([names[1]]),
        *coding.all_names(concept),
    ]

    assert_safe(shown)


@pytest.mark.parametrize(
    "value, shown",
    [
        ("Pea\x00nut", "Peanut"),
        ("\u202eenilicinep", "enilicinep"),  # would read "penicilline" backwards
        ("Amoxi\u2066cillin\u2069 \u200f500\u200e mg", "Amoxicillin 500 mg"),
        ("Line\tone\r\nline\x0btwo\x85three\u2028four", "Line one line two three four"),
        ("Ann\ud800e", "Ann\ufffde"),
        ("x\ufffe\U0010ffffy", "x\ufffd\ufffdy"),
        ("\x1b[31mRed\x9b0m", "[31mRed0m"),  # a terminal escape loses its ESC and CSI
    ],
    ids=["nul", "right-to-left-override", "isolates-and-marks", "whitespace-controls", "lone-surrogate",
         "noncharacters", "escape-sequences"],
)  # fmt: skip
def test_text_strips_or_replaces_each_kind(value, shown):
    assert coding.text(value) == shown


# -- the whole chart, every string of real resources poisoned ------------------------------------------
@cache
def chart_resources() -> dict[str, list[dict]]:
    """The sandbox's resources for the allergy scenario patient and its notes and medicines, by type."""
    wanted = {"AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Medication",
              "DocumentReference", "Patient", "Practitioner", "PractitionerRole", "Organization"}  # fmt: skip
    by_type: dict[str, list[dict]] = {}
    for resource in generate(anchor=TODAY):
        if resource["resourceType"] in wanted:
            by_type.setdefault(resource["resourceType"], []).append(resource)
    return {name: resources[:12] for name, resources in by_type.items()}


@st.composite
def poisoned(draw, resources: list[dict]) -> list[dict]:
    """`resources` with hostile characters put into every string, at a drawn place in each."""
    hostile = draw(st.lists(hostile_text.filter(bool), min_size=1, max_size=5))
    counter = iter(range(10**9))

    def poison(value):
        if isinstance(value, dict):
            return {key: poison(item) for key, item in value.items()}
        if isinstance(value, list):
            return [poison(item) for item in value]
        if isinstance(value, str):
            index = next(counter)
            cut = index % (len(value) + 1)
            return value[:cut] + hostile[index % len(hostile)] + value[cut:]
        return value

    return [poison(copy.deepcopy(r)) for r in resources]


def found(**matches) -> dict[str, sections.SectionData]:
    names = ("allergies", "medication_requests", "medication_statements", "notes")
    return {name: sections.SectionData(sections.OK, *matches.get(name, ([], []))) for name in names}


@FAST
@given(data=st.data())
def test_no_string_of_the_chart_or_the_patient_view_holds_them(data):
    r = chart_resources()
    people = r["Practitioner"] + r["PractitionerRole"] + r["Organization"]
    allergies, people_a = data.draw(poisoned(r["AllergyIntolerance"])), data.draw(poisoned(people))
    requests, medications = data.draw(poisoned(r["MedicationRequest"])), data.draw(poisoned(r["Medication"]))
    statements, notes = (
        data.draw(poisoned(r["MedicationStatement"])),
        data.draw(poisoned(r["DocumentReference"])),
    )
    fetched = found(
        allergies=(allergies, people_a),
        medication_requests=(requests, medications + people_a),
        medication_statements=(statements, []),
        notes=(notes, people_a),
    )

    assert_safe(chart_rows(fetched))
    assert_safe(patient_rows(fetched))
    for resource in data.draw(poisoned(r["Patient"][:3])):
        assert_safe(patient_banner(resource, today=TODAY))


# -- end to end: a hostile EHR -------------------------------------------------------------------------
def test_the_chart_shows_an_allergy_and_a_name_without_their_controls(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = fhir(
        patient(name=[{"use": "official", "family": "Batt\u202eery\x00", "given": ["Te\u2066st"]}])
    )
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = fhir(
        searchset(allergy("Pea\x00nut \u202enillicinep\u202c\x1b", recordedDate="2020-01-01"))
    )

    page = client.get(chart)

    body = assert_clear_page(page, 200, "Peanut nillicinep", "Test Battery")
    assert not any(map(unsafe, body.replace("\n", "").replace("\r", "").replace("\t", "")))
    assert "<bdi>Peanut nillicinep</bdi>" in allergy_section(body)


def test_a_lone_surrogate_in_the_patients_name_costs_that_character_only(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    body = json.dumps(patient(name=[{"text": "Ann X"}])).encode().replace(b"Ann X", b"Ann\\ud800")
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = Answer(200, body, "application/fhir+json")
    allergies = json.dumps(searchset(allergy("Pea-X-nut"))).encode().replace(b"Pea-X-nut", b"Pea\\udfffnut")
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = Answer(200, allergies, "application/fhir+json")

    page = client.get(chart)

    shown = assert_clear_page(page, 200, "Ann\ufffd", "Pea\ufffdnut")
    assert "could not be read" not in shown


def test_an_unreadable_patient_leaves_the_rest_of_the_chart_shown(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    body = json.dumps(patient(name=[{"text": "Ann X"}])).encode().replace(b"Ann X", b"Ann\xff")
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = Answer(200, body, "application/fhir+json")
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = fhir(searchset(allergy("Peanut")))

    page = client.get(chart)

    shown = assert_clear_page(page, 200, "could not be read from the EHR", "Try again")
    assert "Peanut" in allergy_section(shown)  # the rest of the chart: what was read is shown


def test_a_patient_read_failing_once_with_a_500_is_read_again(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    path = f"/fhir/Patient/{PATIENT}"
    hostile_ehr.server.answers[path] = [
        fhir({"resourceType": "OperationOutcome"}, status=500),
        fhir(patient()),
    ]

    page = client.get(chart)

    assert_clear_page(page, 200, "Test Battery")
    assert "could not be read" not in page.content.decode()
    assert [seen.path for seen in hostile_ehr.server.seen].count(path) == 2


def test_a_patient_read_failing_twice_says_the_ehr_is_not_answering(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    failing = fhir({"resourceType": "OperationOutcome"}, status=500)
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = [failing, failing, fhir(patient())]

    page = client.get(chart)
    again = client.get(chart)  # "Try again" after the outage

    assert_clear_page(page, 503, "The EHR is not answering")
    assert_clear_page(again, 200, "Test Battery")


def test_ordinary_text_of_the_sandboxs_resources_is_kept_as_it_is():
    """The cleaning takes nothing else away: every clean, single-spaced string of the sandbox is unchanged."""
    plain = [r for resources in chart_resources().values() for r in resources]
    strings = [s for s in shown_strings(plain) if not any(map(unsafe, s)) and s == " ".join(s.split())]
    assert strings and all(coding.text(s, 10**6) == s for s in strings)
