import pytest

from smartapp.chart.medications import UNNAMED, MedicationEntry, reconcile_medications
from smartapp.chart.plain_medicines import plain_medicine

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

AMLODIPINE_ORDER = {
    "resourceType": "MedicationRequest",
    "id": "mr-1",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [{"system": RXNORM, "code": "197361", "display": "amlodipine 5 MG Oral Tablet"}],
        "text": "amlodipine 5 MG Oral Tablet",
    },
    "authoredOn": "2026-10-01T10:00:00Z",
    "requester": {"reference": "Practitioner/pr-1", "display": "Dr. Avery Lin"},
    "dosageInstruction": [{"text": "Take 1 tablet by mouth daily"}],
}

AMLODIPINE_STOPPED_STATEMENT = {
    "resourceType": "MedicationStatement",
    "id": "ms-1",
    "status": "stopped",
    "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197361"}], "text": "Norvasc"},
    "effectiveDateTime": "2026-09-01",
    "informationSource": {"reference": "Patient/p-1"},
    "dosage": [{"text": "Take 2 tablets by mouth daily"}],
}


@pytest.fixture(scope="module")
def synthetic_resources():
    from smartapp.sandbox.synthetic import generate

    return generate(seed=1)


def names(groups):
    return [group.name for group in groups]


def test_a_request_and_a_statement_with_the_same_rxnorm_code_are_one_group_with_both_sources():
    [group] = reconcile_medications([AMLODIPINE_ORDER], [AMLODIPINE_STOPPED_STATEMENT], [])

    assert (group.rxnorm, group.status) == ("197361", "active")
    assert [(s.kind, s.source_id) for s in group.sources] == [
        ("request", "MedicationRequest/mr-1"),
        ("statement", "MedicationStatement/ms-1"),
    ]
    assert group.sources[0] == MedicationEntry(
        kind="request",
        name="amlodipine 5 MG Oral Tablet",
        status="active",
        dosage="Take 1 tablet by mouth daily",
        person="Dr. Avery Lin",
        date="2026-10-01T10:00:00Z",
        source_id="MedicationRequest/mr-1",
        patient_reported=False,
        intent="order",
    )
    assert group.sources[1].patient_reported is True


def test_an_older_stop_of_a_medicine_prescribed_again_is_history_not_a_conflict():
    [group] = reconcile_medications([AMLODIPINE_ORDER], [AMLODIPINE_STOPPED_STATEMENT], [])

    assert group.conflicts == ()
    assert [s.source_id for s in group.current] == ["MedicationRequest/mr-1"]
    assert [s.source_id for s in group.history] == ["MedicationStatement/ms-1"]
    assert (group.status, group.in_use) == ("active", True)


def test_a_newer_stop_reported_by_the_patient_conflicts_with_the_active_prescription():
    newer_stop = {**AMLODIPINE_STOPPED_STATEMENT, "effectiveDateTime": "2026-11-01"}
    [group] = reconcile_medications([AMLODIPINE_ORDER], [newer_stop], [])

    assert group.status == "stopped"  # the newest word
    assert group.in_use is True  # the prescription still says active
    assert group.conflicts == ("prescribed, but the patient reports it stopped",)
    assert len(group.current) == 2 and group.history == ()


def test_dosage_texts_differing_only_in_case_and_spacing_are_not_a_conflict():
    statement = {
        **AMLODIPINE_STOPPED_STATEMENT,
        "status": "active",
        "dosage": [{"text": "take 1  tablet by mouth DAILY"}],
    }
    [group] = reconcile_medications([AMLODIPINE_ORDER], [statement], [])

    assert group.conflicts == ()


ONE_TABLET_DAILY = {
    "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
    "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]},
    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
}


def _active_statement(*dosages):
    return {**AMLODIPINE_STOPPED_STATEMENT, "status": "active", "dosage": list(dosages)}


def test_a_structured_dosage_without_text_is_spelled_out():
    order = {**AMLODIPINE_ORDER, "dosageInstruction": [ONE_TABLET_DAILY]}
    [group] = reconcile_medications([order], [], [])

    assert group.sources[0].dosage == "1 tablet, oral route, once a day"
    assert group.sources[0].dose_key == "1 tablet, once a day"
    assert plain_medicine(group).directions == "1 tablet, oral route, once a day"


def test_the_same_structured_dose_with_and_without_text_is_not_a_conflict():
    order = {
        **AMLODIPINE_ORDER,
        "dosageInstruction": [{**ONE_TABLET_DAILY, "text": "Take 1 tablet by mouth daily"}],
    }
    statement_without_route = {k: v for k, v in ONE_TABLET_DAILY.items() if k != "route"}
    [group] = reconcile_medications([order], [_active_statement(statement_without_route)], [])

    assert [s.dosage for s in group.sources] == ["Take 1 tablet by mouth daily", "1 tablet, once a day"]
    assert group.conflicts == ()


def test_a_different_structured_dose_is_a_conflict_even_under_the_same_text():
    twice = {**ONE_TABLET_DAILY, "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}
    order = {**AMLODIPINE_ORDER, "dosageInstruction": [{**ONE_TABLET_DAILY, "text": "As directed"}]}
    [group] = reconcile_medications([order], [_active_statement({**twice, "text": "As directed"})], [])

    assert group.conflicts == ("different dose",)


def test_text_against_structure_alone_is_compared_as_shown():
    # Only one source has a structured dose: the texts shown are all there is to compare.
    order = {**AMLODIPINE_ORDER, "dosageInstruction": [ONE_TABLET_DAILY]}
    same_words = _active_statement({"text": "1 tablet, oral route, once a day"})
    other_words = _active_statement({"text": "Take 1 tablet by mouth daily"})

    assert reconcile_medications([order], [same_words], [])[0].conflicts == ()
    assert reconcile_medications([order], [other_words], [])[0].conflicts == ("different dose",)


def test_partly_structured_doses_fall_back_to_the_text():
    # An amount without a frequency is no basis to call two doses the same.
    amount_only = {"doseAndRate": ONE_TABLET_DAILY["doseAndRate"]}
    order = {**AMLODIPINE_ORDER, "dosageInstruction": [{**amount_only, "text": "1 tablet daily"}]}
    [group] = reconcile_medications(
        [order], [_active_statement({**amount_only, "text": "1 tablet twice daily"})], []
    )

    assert group.conflicts == ("different dose",)


def test_medication_reference_is_resolved_through_the_included_medication():
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-2",
        "status": "on-hold",
        "intent": "order",
        "medicationReference": {"reference": "Medication/med-9"},
    }
    medication = {
        "resourceType": "Medication",
        "id": "med-9",
        "code": {"coding": [{"system": RXNORM, "code": "314076", "display": "lisinopril 10 MG Oral Tablet"}]},
    }
    [group] = reconcile_medications([request], [], [medication])

    assert (group.name, group.rxnorm, group.status) == ("lisinopril 10 MG Oral Tablet", "314076", "on-hold")


def test_absolute_and_versioned_medication_references_resolve_like_relative_ones():
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-3",
        "status": "active",
        "medicationReference": {"reference": "https://ehr.example.org/fhir/R4/Medication/med-9/_history/3"},
    }
    medication = {"resourceType": "Medication", "id": "med-9", "code": {"text": "Lisinopril 10 mg tablet"}}

    assert names(reconcile_medications([request], [], [medication])) == ["Lisinopril 10 mg tablet"]


def test_contained_medication_is_resolved_by_local_id():
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-4",
        "status": "active",
        "intent": "order",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "m1",
                "code": {"coding": [{"system": RXNORM, "code": "197361"}]},
            }
        ],
        "medicationReference": {"reference": "#m1"},
    }
    [group] = reconcile_medications([request, AMLODIPINE_ORDER], [], [])

    assert group.rxnorm == "197361"
    assert len(group.sources) == 2


def test_an_unresolvable_reference_falls_back_to_its_display_and_is_not_merged_by_code():
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-5",
        "status": "active",
        "medicationReference": {"reference": "Medication/missing", "display": "Metformin 500 mg tablet"},
    }
    [group] = reconcile_medications([request], [], [])

    assert (group.name, group.rxnorm) == ("Metformin 500 mg tablet", "")


def test_uncoded_entries_group_only_on_exact_normalized_text():
    def home_med(resource_id, medication_text):
        return {
            "resourceType": "MedicationStatement",
            "id": resource_id,
            "status": "active",
            "medicationCodeableConcept": {"text": medication_text},
        }

    groups = reconcile_medications(
        [],
        [
            home_med("a", "Fish oil 1000 mg"),
            home_med("b", "  FISH   OIL 1000 MG "),
            home_med("c", "Fish oil 1000mg"),  # a near miss is a different medication, not a guess
        ],
        [],
    )

    assert sorted(len(g.sources) for g in groups) == [1, 2]


def test_an_uncoded_entry_joins_the_coded_group_whose_name_it_matches_exactly():
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms-2",
        "status": "active",
        "medicationCodeableConcept": {"text": "Amlodipine 5 mg oral tablet"},
    }
    [group] = reconcile_medications([AMLODIPINE_ORDER], [statement], [])

    assert group.rxnorm == "197361"
    assert len(group.sources) == 2


def test_different_rxnorm_codes_are_never_merged_even_with_the_same_name():
    other = {
        **AMLODIPINE_ORDER,
        "id": "mr-6",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "308136"}], "text": "amlodipine"},
    }
    first = {
        **AMLODIPINE_ORDER,
        "medicationCodeableConcept": {**AMLODIPINE_ORDER["medicationCodeableConcept"]},
    }
    first["medicationCodeableConcept"]["text"] = "amlodipine"
    uncoded = {
        "resourceType": "MedicationStatement",
        "id": "ms-3",
        "status": "active",
        "medicationCodeableConcept": {"text": "Amlodipine"},
    }

    groups = reconcile_medications([first, other], [uncoded], [])

    # The uncoded "Amlodipine" matches two codes: joining either would be a guess.
    assert sorted((g.rxnorm, len(g.sources)) for g in groups) == [("", 1), ("197361", 1), ("308136", 1)]


def test_medications_without_code_or_text_are_unnamed_and_never_merged():
    blank = {"resourceType": "MedicationRequest", "status": "active", "medicationCodeableConcept": {}}
    other_blank = {"resourceType": "MedicationRequest", "id": "x", "status": "active"}

    groups = reconcile_medications([blank, other_blank], [], [])

    assert names(groups) == [UNNAMED, UNNAMED]


def test_a_local_code_without_rxnorm_shows_its_display_and_groups_only_by_that_text():
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-7",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [
                {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.698288", "code": "12345", "display": "ASA 81"}
            ]
        },
    }
    [group] = reconcile_medications([request], [], [])

    assert (group.name, group.rxnorm) == ("ASA 81", "")


def test_groups_are_ordered_active_then_on_hold_then_ended_then_unknown_and_by_name_inside():
    def order(resource_id, status, medication_text):
        return {
            "resourceType": "MedicationRequest",
            "id": resource_id,
            "status": status,
            "medicationCodeableConcept": {"text": medication_text},
        }

    groups = reconcile_medications(
        [
            order("1", "unknown", "Zinc"),
            order("2", "stopped", "Aspirin"),
            order("3", "completed", "Amoxicillin"),
            order("4", "on-hold", "Warfarin"),
            order("5", "active", "metformin"),
            order("6", "active", "Lisinopril"),
            order("7", "cancelled", "Baclofen"),
        ],
        [],
        [],
    )

    # In use (active, on hold, unclear) first; then past medicines (newest first, here undated: by name).
    assert names(groups) == [
        "Lisinopril",
        "metformin",
        "Warfarin",
        "Zinc",
        "Amoxicillin",
        "Aspirin",
        "Baclofen",
    ]
    assert [g.status_rank for g in groups] == [0, 0, 1, 3, 2, 2, 2]
    assert [g.in_use for g in groups] == [True] * 4 + [False] * 3


def test_oracle_plan_requests_reported_by_the_patient_are_included_and_flagged():
    home_medication = {
        "resourceType": "MedicationRequest",
        "id": "mr-8",
        "status": "active",
        "intent": "plan",
        "reportedBoolean": True,
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197361"}]},
    }
    [group] = reconcile_medications([home_medication, AMLODIPINE_ORDER], [], [])

    plan = next(s for s in group.sources if s.intent == "plan")
    assert plan.patient_reported is True


def test_messy_vendor_data_never_raises_and_keeps_what_can_be_read():
    messy = {
        "resourceType": "MedicationRequest",
        "id": 42,
        "status": ["active"],
        "extension": [{"url": "http://vendor.example/unknown", "valueString": "x"}],
        "medicationCodeableConcept": {"coding": "not a list", "text": "Vitamin D3 2000 units"},
        "dosageInstruction": {"text": "not a list"},
        "requester": "Dr. Somebody",
        "authoredOn": 20260101,
    }
    [group] = reconcile_medications([messy, "garbage", None], "not a list", [{"id": {}}, 7])

    assert group.name == "Vitamin D3 2000 units"
    entry = group.sources[0]
    assert (entry.status, entry.dosage, entry.person, entry.date, entry.source_id) == ("", "", "", "", "")
    assert group.status_rank == 3


def test_the_same_resource_twice_from_overlapping_pages_counts_once():
    once = reconcile_medications([AMLODIPINE_ORDER], [AMLODIPINE_STOPPED_STATEMENT], [])
    twice = reconcile_medications(
        [AMLODIPINE_ORDER, AMLODIPINE_ORDER], [AMLODIPINE_STOPPED_STATEMENT, AMLODIPINE_STOPPED_STATEMENT], []
    )

    assert once == twice


def test_sources_are_newest_first_within_a_status_and_undated_last():
    def order(resource_id, authored):
        return {**AMLODIPINE_ORDER, "id": resource_id, "authoredOn": authored}

    [group] = reconcile_medications(
        [order("a", None), order("b", "2025-01-01"), order("c", "2026-03")], [], []
    )

    assert [s.source_id for s in group.sources] == [
        "MedicationRequest/c",
        "MedicationRequest/b",
        "MedicationRequest/a",
    ]


def test_very_long_names_and_dosages_are_bounded():
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "medicationCodeableConcept": {"text": "x" * 10_000},
        "dosageInstruction": [{"text": "y" * 10_000}] * 5,
    }
    [group] = reconcile_medications([request], [], [])

    assert len(group.name) <= 200
    assert len(group.sources[0].dosage) <= 500


def test_plain_medicine_gives_the_patient_the_name_and_directions():
    [group] = reconcile_medications([AMLODIPINE_ORDER], [], [])
    medicine = plain_medicine(group)

    assert (medicine.name, medicine.directions) == (
        "Amlodipine 5 mg oral tablet",
        "take 1 tablet by mouth daily",
    )
    assert (medicine.note, medicine.in_use) == ("", True)


def test_plain_medicine_for_a_stopped_medication_says_so_with_its_last_date():
    [group] = reconcile_medications([], [AMLODIPINE_STOPPED_STATEMENT], [])
    medicine = plain_medicine(group)

    assert (medicine.name, medicine.directions, medicine.in_use) == ("Norvasc", "stopped", False)
    assert medicine.last_date == "2026-09-01"


def test_plain_medicine_has_no_prescriber_codes_or_conflicts():
    [group] = reconcile_medications([AMLODIPINE_ORDER], [AMLODIPINE_STOPPED_STATEMENT], [])
    medicine = plain_medicine(group)
    text = f"{medicine.name} {medicine.directions} {medicine.note}"

    assert "197361" not in text and "Lin" not in text and "dose" not in text


def test_the_sandbox_patients_reconcile_with_every_request_and_statement_kept(synthetic_resources):
    medications = [r for r in synthetic_resources if r["resourceType"] == "Medication"]
    requests = [r for r in synthetic_resources if r["resourceType"] == "MedicationRequest"]
    statements = [r for r in synthetic_resources if r["resourceType"] == "MedicationStatement"]

    groups = reconcile_medications(requests, statements, medications)

    assert sum(len(g.sources) for g in groups) == len(requests) + len(statements)
    assert all(g.name != UNNAMED for g in groups)
    in_use = [g for g in groups if g.in_use]
    assert groups[: len(in_use)] == in_use
    assert [g.status_rank for g in in_use] == sorted(g.status_rank for g in in_use)
