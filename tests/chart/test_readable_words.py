"""Words a person reads: SNOMED semantic tags dropped, codes as words, references never as "Type/id"."""

import pytest

from smartapp.chart import coding
from smartapp.chart.allergies import plain_allergy_line, summarize_allergies
from smartapp.chart.notes import NEWEST_SHOWN, group_notes


@pytest.mark.parametrize(
    ("display", "read"),
    [
        ("Allergy to mould (finding)", "Allergy to mould"),
        ("Penicillin (substance)", "Penicillin"),
        ("Hives (disorder)", "Hives"),
        ("Amoxicillin 500 MG Oral Capsule (clinical drug)", "Amoxicillin 500 MG Oral Capsule"),
        ("Hepatitis (viral)", "Hepatitis (viral)"),  # not a semantic tag
        ("(finding)", "(finding)"),  # nothing left to show: kept as it is
        ("Fish (substance) extract", "Fish (substance) extract"),  # only at the end
    ],
)
def test_display_drops_only_a_trailing_snomed_semantic_tag(display, read):
    assert coding.display({"coding": [{"display": display}]}) == read


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("high", "High"),
        ("unable-to-assess", "Unable to assess"),
        ("entered-in-error", "Entered in error"),
        ("confirmed", "Confirmed"),
        ("unk", "Unknown"),
        ("", ""),
        (None, ""),
        (3, ""),
    ],
)
def test_codes_read_as_words(code, words):
    assert coding.code_words(code) == words


@pytest.mark.parametrize(
    "reference",
    [
        {"reference": "Practitioner/12"},
        {"reference": "https://ehr.example/fhir/Patient/1"},
        {"reference": "#p1"},
        {},
        None,
        "Practitioner/12",
    ],
)
def test_a_reference_label_is_never_the_literal_reference(reference):
    assert coding.reference_label(reference) == ""


def test_a_reference_label_is_its_display():
    assert (
        coding.reference_label({"reference": "Practitioner/12", "display": "Ada Heart, MD"})
        == "Ada Heart, MD"
    )


def allergy(**fields):
    return {"resourceType": "AllergyIntolerance", "id": "a-1", "code": {"text": "Penicillin"}, **fields}


def practitioner(pid, family):
    return {"resourceType": "Practitioner", "id": pid, "name": [{"given": ["Ada"], "family": family}]}


def test_an_allergy_recorder_is_named_from_the_include():
    summary = summarize_allergies(
        [allergy(recorder={"reference": "Practitioner/pr-1"})], [practitioner("pr-1", "Heart")]
    )
    assert summary.rows[0].recorded_by == "Ada Heart"


def test_without_a_recorder_the_asserter_is_named():
    row = summarize_allergies([allergy(asserter={"reference": "Patient/p1", "display": "The patient"})]).rows[
        0
    ]
    assert row.recorded_by == "The patient"


def test_a_contained_recorder_is_named():
    contained = [{"resourceType": "Practitioner", "id": "r", "name": [{"family": "Gland"}]}]
    row = summarize_allergies([allergy(contained=contained, recorder={"reference": "#r"})]).rows[0]
    assert row.recorded_by == "Gland"


def test_a_recorder_that_cannot_be_named_is_blank_never_the_reference():
    row = summarize_allergies([allergy(recorder={"reference": "Practitioner/pr-9"})]).rows[0]
    assert row.recorded_by == ""


def test_allergy_codes_read_as_words_and_tags_are_dropped():
    resource = allergy(
        code={
            "coding": [
                {"system": coding.SNOMED_SYSTEM, "code": "764146007", "display": "Penicillin (substance)"}
            ]
        },
        criticality="unable-to-assess",
        verificationStatus={"coding": [{"code": "unconfirmed"}]},
        reaction=[{"manifestation": [{"coding": [{"display": "Hives (disorder)"}]}], "severity": "severe"}],
    )
    row = summarize_allergies([resource]).rows[0]
    assert (row.substance, row.criticality_words, row.verification_words) == (
        "Penicillin",
        "Unable to assess",
        "Unconfirmed",
    )
    assert row.reactions[0].severity_words == "Severe"
    assert plain_allergy_line(row) == "Penicillin: causes hives (severe)"


def note(index):
    return {
        "resourceType": "DocumentReference",
        "id": f"d-{index}",
        "status": "current",
        "date": f"2026-01-{index + 1:02d}T10:00:00Z",
        "context": {"practiceSetting": {"text": "Cardiology"}},
    }


def test_a_long_group_shows_its_newest_notes_and_keeps_the_rest_behind_show_more():
    [group] = group_notes([note(i) for i in range(12)])
    assert [row.id for row in group.newest] == [f"d-{i}" for i in range(11, 11 - NEWEST_SHOWN, -1)]
    assert len(group.older) == 12 - NEWEST_SHOWN
    assert group.newest + group.older == group.rows


def test_a_short_group_has_nothing_behind_show_more():
    [group] = group_notes([note(i) for i in range(3)])
    assert len(group.newest) == 3 and group.older == ()


def test_a_specialty_reads_without_its_semantic_tag():
    document = note(0) | {
        "context": {"practiceSetting": {"coding": [{"display": "Cardiology (qualifier value)"}]}}
    }
    assert group_notes([document])[0].name == "Cardiology"
