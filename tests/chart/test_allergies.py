import pytest

from smartapp.chart.allergies import (
    ALLERGIES,
    NO_DATA,
    NO_KNOWN_ALLERGIES,
    NONE_CURRENT,
    UNNAMED,
    Reaction,
    plain_allergy_line,
    summarize_allergies,
)

SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

PENICILLIN = {
    "resourceType": "AllergyIntolerance",
    "id": "ai-1",
    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
    "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
    "category": ["medication"],
    "criticality": "high",
    "code": {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7980"}],
        "text": "Penicillin",
    },
    "recordedDate": "2020-03-04",
    "reaction": [
        {
            "manifestation": [{"coding": [{"system": SNOMED, "code": "247472004", "display": "Hives"}]}],
            "severity": "severe",
        }
    ],
}
LATEX = {
    "resourceType": "AllergyIntolerance",
    "id": "ai-2",
    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
    "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "unconfirmed"}]},
    "category": ["environment"],
    "criticality": "low",
    "code": {"text": "Latex"},
}
ASPIRIN_LOW = {**LATEX, "id": "ai-3", "code": {"text": "aspirin"}, "category": ["medication"]}
NO_KNOWN_ALLERGY = {
    "resourceType": "AllergyIntolerance",
    "id": "ai-nka",
    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
    "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
    "code": {"coding": [{"system": SNOMED, "code": "716186003", "display": "No known allergy"}]},
    "recordedDate": "2026-08-26",
}


def substances(rows):
    return [row.substance for row in rows]


def test_high_criticality_comes_first_and_is_flagged_then_by_name():
    summary = summarize_allergies([LATEX, ASPIRIN_LOW, PENICILLIN])

    assert summary.state == ALLERGIES
    assert substances(summary.rows) == ["Penicillin", "aspirin", "Latex"]
    assert [row.high_criticality for row in summary.rows] == [True, False, False]


def test_a_row_carries_reactions_with_severity_category_and_statuses():
    [row] = summarize_allergies([PENICILLIN]).rows

    assert row.reactions == (Reaction(manifestations=("Hives",), severity="severe"),)
    assert (row.categories, row.clinical_status, row.verification_status) == (
        ("medication",),
        "active",
        "confirmed",
    )
    assert (row.recorded, row.source_id) == ("2020-03-04", "AllergyIntolerance/ai-1")


def test_refuted_and_entered_in_error_are_hidden_but_counted():
    refuted = {
        **LATEX,
        "id": "r",
        "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "refuted"}]},
    }
    in_error = {
        "resourceType": "AllergyIntolerance",
        "id": "e",
        "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "entered-in-error"}]},
        "code": {"text": "ibuprofen"},
    }
    summary = summarize_allergies([refuted, in_error, PENICILLIN])

    assert substances(summary.rows) == ["Penicillin"]
    assert (summary.hidden_refuted, summary.hidden_entered_in_error) == (1, 1)


def test_inactive_and_resolved_allergies_are_listed_apart_not_hidden():
    resolved = {**LATEX, "id": "x", "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "resolved"}]}}
    inactive = {**ASPIRIN_LOW, "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "inactive"}]}}
    summary = summarize_allergies([resolved, inactive])

    assert summary.rows == ()
    assert substances(summary.inactive) == ["aspirin", "Latex"]
    assert summary.state == NONE_CURRENT
    assert summary.no_known_allergies is False


def test_no_known_allergy_recorded_by_the_ehr_is_its_own_state():
    summary = summarize_allergies([NO_KNOWN_ALLERGY])

    assert summary.state == NO_KNOWN_ALLERGIES
    assert summary.no_known_allergies is True
    assert summary.no_known_assertions == ("No known allergy",)
    assert summary.rows == ()


@pytest.mark.parametrize(
    "code, display",
    [
        ("409137002", "No known drug allergy"),
        ("429625007", "No known food allergy"),
        ("428607008", "No known environmental allergy"),
    ],
)
def test_the_drug_food_and_environmental_siblings_count_as_no_known_allergy(code, display):
    record = {**NO_KNOWN_ALLERGY, "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]}}
    summary = summarize_allergies([record])

    assert summary.no_known_allergies is True
    assert summary.no_known_assertions == (display,)


def test_an_empty_list_is_no_data_never_no_known_allergies():
    summary = summarize_allergies([])

    assert summary.state == NO_DATA
    assert summary.no_known_allergies is False
    assert summary.rows == ()


def test_a_current_allergy_contradicts_a_no_known_allergy_record():
    summary = summarize_allergies([NO_KNOWN_ALLERGY, PENICILLIN])

    assert summary.state == ALLERGIES
    assert summary.no_known_allergies is False
    assert summary.contradicted_assertion is True
    assert substances(summary.rows) == ["Penicillin"]


def test_a_no_known_allergy_code_in_another_system_is_an_ordinary_row():
    local = {
        **NO_KNOWN_ALLERGY,
        "code": {"coding": [{"system": "urn:local", "code": "716186003"}], "text": "NKA"},
    }
    summary = summarize_allergies([local])

    assert summary.state == ALLERGIES
    assert substances(summary.rows) == ["NKA"]


def test_a_missing_clinical_status_or_an_unknown_verification_still_shows_the_allergy():
    sparse = {"resourceType": "AllergyIntolerance", "code": {"text": "Shellfish"}}
    presumed = {**LATEX, "verificationStatus": {"coding": [{"system": "urn:local", "code": "presumed"}]}}
    summary = summarize_allergies([sparse, presumed])

    assert substances(summary.rows) == ["Latex", "Shellfish"]


def test_messy_vendor_data_never_raises():
    messy = {
        "resourceType": "AllergyIntolerance",
        "id": ["x"],
        "clinicalStatus": "active",  # a DSTU2-style string, not a CodeableConcept
        "verificationStatus": 5,
        "criticality": {"text": "HIGH"},
        "category": "food",
        "code": {"coding": [{"system": "urn:oid:1.2.3", "code": "PNT"}]},
        "extension": [{"url": "http://vendor.example/x", "valueBoolean": True}],
        "reaction": [
            {"manifestation": "rash", "severity": 3},
            "garbage",
            {"manifestation": [{"text": "Rash"}]},
        ],
    }
    summary = summarize_allergies([messy, None, "text", 7])

    [row] = summary.rows
    assert (row.substance, row.high_criticality, row.categories) == ("PNT", True, ())
    assert row.reactions == (Reaction((), ""), Reaction(("Rash",), ""))
    assert summarize_allergies("not a list").state == NO_DATA


def test_an_uncoded_allergy_takes_its_substance_from_the_reaction_else_is_unnamed():
    from_reaction = {**LATEX, "code": None, "reaction": [{"substance": {"text": "Egg white"}}]}
    nothing = {**LATEX, "id": "n", "code": {}}
    summary = summarize_allergies([from_reaction, nothing])

    assert sorted(substances(summary.rows)) == ["Egg white", UNNAMED]


def test_the_same_record_twice_counts_once():
    refuted = {**LATEX, "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "refuted"}]}}

    assert summarize_allergies([PENICILLIN, refuted]) == summarize_allergies(
        [PENICILLIN, refuted, PENICILLIN, refuted]
    )


def test_plain_line_says_what_the_allergy_does_without_codes():
    [row] = summarize_allergies([PENICILLIN]).rows

    assert plain_allergy_line(row) == "Penicillin: causes hives (severe)"


def test_plain_line_drops_snomed_semantic_tags_and_joins_reactions():
    record = {
        **LATEX,
        "code": {"text": "penicillin G"},
        "reaction": [
            {"manifestation": [{"text": "Anaphylaxis (disorder)"}], "severity": "severe"},
            {"manifestation": [{"text": "Itching (finding)"}, {"text": "Wheal (finding)"}]},
        ],
    }
    [row] = summarize_allergies([record]).rows

    assert plain_allergy_line(row) == "Penicillin G: causes anaphylaxis (severe), itching and wheal"


def test_plain_line_without_reactions_is_just_the_substance():
    [row] = summarize_allergies([{**LATEX, "code": {"text": "Fish (substance)"}}]).rows

    assert plain_allergy_line(row) == "Fish"


def test_every_sandbox_allergy_record_is_shown_listed_apart_or_counted(synthetic_allergies_by_patient):
    for records in synthetic_allergies_by_patient.values():
        summary = summarize_allergies(records)
        no_known_records = [r for r in records if r["code"]["coding"][0]["code"] == "716186003"]

        accounted = len(summary.rows) + len(summary.inactive) + len(no_known_records)
        assert accounted + summary.hidden_refuted + summary.hidden_entered_in_error == len(records)


def test_the_sandbox_patient_with_a_no_known_allergy_record_reads_as_such(synthetic_allergies_by_patient):
    states = {summarize_allergies(records).state for records in synthetic_allergies_by_patient.values()}

    assert {ALLERGIES, NO_KNOWN_ALLERGIES} <= states


@pytest.fixture(scope="module")
def synthetic_allergies_by_patient():
    from smartapp.sandbox.synthetic import generate

    by_patient = {}
    for resource in generate(seed=1):
        if resource["resourceType"] == "AllergyIntolerance":
            by_patient.setdefault(resource["patient"]["reference"], []).append(resource)
    return by_patient
