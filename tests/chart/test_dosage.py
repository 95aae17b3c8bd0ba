"""Structured FHIR R4 Dosage spelled out: each piece, their combinations, and vendor garbage."""

import pytest

from smartapp.chart.dosage import dosage_line, spelled_out, structured_key

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
SNOMED = "http://snomed.info/sct"
TABLET = {"value": 2, "unit": "tablet", "system": "http://unitsofmeasure.org", "code": "{tbl}"}
ORAL = {"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route (qualifier value)"}]}


def dose(quantity):
    return {"doseAndRate": [{"doseQuantity": quantity}]}


def repeat(**fields):
    return {"timing": {"repeat": fields}}


# Each piece


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (TABLET, "2 tablets"),
        ({"value": 1, "unit": "tablet"}, "1 tablet"),
        ({"value": 500, "unit": "mg"}, "500 mg"),
        ({"value": 0.5, "code": "mg"}, "0.5 mg"),  # no unit: the code
        ({"value": "2.50", "unit": "mL"}, "2.5 mL"),  # a number sent as a string
        ({"value": 1.0, "code": "{puff}"}, "1 puff"),  # a UCUM annotation loses its braces
        ({"value": 3, "unit": "blorps"}, "3 blorps"),  # an unknown unit is shown as written
        ({"value": 10}, "10"),
        ({"value": 1e-7, "unit": "g"}, "0.0000001 g"),  # never an exponent
    ],
)
def test_a_dose_quantity_is_its_value_and_unit(quantity, expected):
    assert spelled_out(dose(quantity)) == expected


@pytest.mark.parametrize(
    ("dose_range", "expected"),
    [
        ({"low": {"value": 1, "unit": "tablet"}, "high": {"value": 2, "unit": "tablet"}}, "1 to 2 tablets"),
        ({"low": {"value": 5, "unit": "mg"}, "high": {"value": 1, "unit": "g"}}, "5 mg to 1 g"),
        ({"low": {"value": 1, "unit": "puff"}}, "at least 1 puff"),
        ({"high": {"value": 2, "unit": "puff"}}, "up to 2 puffs"),
        ({"low": {"value": "x"}, "high": None}, ""),
    ],
)
def test_a_dose_range_is_spelled_out(dose_range, expected):
    assert spelled_out({"doseAndRate": [{"doseRange": dose_range}]}) == expected


def test_an_stu3_dose_on_the_dosage_itself_is_read_too():
    assert spelled_out({"doseQuantity": {"value": 1, "unit": "capsule"}}) == "1 capsule"


def test_the_route_is_its_display_without_the_snomed_tag():
    assert spelled_out({"route": ORAL}) == "oral route"
    assert spelled_out({"route": {"text": "IV"}}) == "IV"  # an acronym keeps its capitals


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, "once a day"),
        ({"frequency": 2, "period": 1, "periodUnit": "d"}, "twice a day"),
        ({"frequency": 3, "period": 1, "periodUnit": "d"}, "three times a day"),
        ({"frequency": 6, "period": 1, "periodUnit": "d"}, "6 times a day"),
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, "every 8 hours"),
        ({"period": 1, "periodUnit": "h"}, "every hour"),  # no frequency: once per period
        ({"frequency": 2, "period": 1, "periodUnit": "h"}, "twice an hour"),
        ({"frequency": 1, "period": 1, "periodUnit": "wk"}, "once a week"),
        ({"frequency": 1, "period": 2, "periodUnit": "d"}, "every 2 days"),
        ({"frequency": 2, "period": 3, "periodUnit": "d"}, "twice every 3 days"),
        ({"frequency": 1, "period": 4, "periodMax": 6, "periodUnit": "h"}, "every 4 to 6 hours"),
        ({"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"}, "1 to 2 times a day"),
        ({"frequency": 1, "period": 1, "periodUnit": "mo"}, "once a month"),
        ({"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN"]}, "once a day in the morning"),
        (
            {"frequency": 2, "period": 1, "periodUnit": "d", "when": ["ACM", "ACV"]},
            "twice a day before breakfast and before dinner",
        ),
        ({"when": ["HS"]}, "at bedtime"),
    ],
)
def test_a_timing_repeat_reads_as_how_often(fields, expected):
    assert spelled_out(repeat(**fields)) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ({"coding": [{"system": GTS, "code": "BID", "display": "BID"}]}, "twice a day"),
        ({"coding": [{"system": GTS, "code": "Q8H"}]}, "every 8 hours"),
        (
            {"coding": [{"system": GTS, "code": "BID"}], "text": "Twice daily with food"},
            "twice daily with food",
        ),
        (
            {"coding": [{"system": "urn:local", "code": "X7", "display": "Every seventh day"}]},
            "every seventh day",
        ),
    ],
)
def test_a_timing_code_reads_as_its_text_or_plain_words(code, expected):
    assert spelled_out({"timing": {"code": code}}) == expected


def test_a_timing_code_is_the_whole_statement_but_its_bounds_still_apply():
    timing = {
        "code": {"coding": [{"system": GTS, "code": "TID"}]},
        "repeat": {
            "frequency": 9,
            "period": 1,
            "periodUnit": "d",
            "when": ["NIGHT"],
            "boundsDuration": {"value": 5, "code": "d"},
        },
    }

    assert spelled_out({"timing": timing}) == "three times a day, for 5 days"


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        (
            {"boundsPeriod": {"start": "2026-01-05T08:00:00Z", "end": "2026-02-05"}},
            "from 2026-01-05 to 2026-02-05",
        ),
        ({"boundsPeriod": {"start": "2026-01-05"}}, "from 2026-01-05"),
        ({"boundsPeriod": {"end": "2026-02-05"}}, "until 2026-02-05"),
        ({"boundsDuration": {"value": 7, "unit": "days", "code": "d"}}, "for 7 days"),
        ({"boundsPeriod": {"start": 20260105}}, ""),
    ],
)
def test_bounds_say_when_the_dosing_starts_and_stops(bounds, expected):
    assert spelled_out(repeat(**bounds)) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"asNeededBoolean": True}, "as needed"),
        ({"asNeededBoolean": False}, ""),
        ({"asNeededBoolean": "true"}, ""),  # not a boolean: not guessed
        (
            {
                "asNeededCodeableConcept": {
                    "coding": [{"system": SNOMED, "code": "22253000", "display": "Pain (finding)"}]
                }
            },
            "as needed for pain",
        ),
        ({"asNeededCodeableConcept": {"text": "Shortness of breath"}}, "as needed for shortness of breath"),
    ],
)
def test_as_needed_with_or_without_a_reason(fields, expected):
    assert spelled_out(fields) == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (
            {
                "numerator": {"value": 8, "unit": "tablet"},
                "denominator": {"value": 1, "unit": "day", "code": "d"},
            },
            "max 8 tablets per day",
        ),
        (
            {"numerator": {"value": 3, "unit": "g"}, "denominator": {"value": 24, "unit": "h"}},
            "max 3 g per 24 hours",
        ),
        ({"numerator": {"value": 4, "unit": "puff"}, "denominator": {"unit": "d"}}, "max 4 puffs per day"),
        ({"numerator": {"value": 4, "unit": "puff"}}, ""),  # per what is not said: left out
    ],
)
def test_the_maximum_dose_per_period(ratio, expected):
    assert spelled_out({"maxDosePerPeriod": ratio}) == expected


# Combinations


def test_every_piece_together_in_reading_order():
    dosage = {
        **dose(TABLET),
        "route": ORAL,
        **repeat(
            frequency=2, period=1, periodUnit="d", when=["PC"], boundsDuration={"value": 10, "code": "d"}
        ),
        "asNeededCodeableConcept": {"text": "Pain"},
        "maxDosePerPeriod": {
            "numerator": {"value": 8, "unit": "tablet"},
            "denominator": {"value": 1, "code": "d"},
        },
    }

    assert dosage_line(dosage) == (
        "2 tablets, oral route, twice a day after meals, for 10 days, as needed for pain, "
        "max 8 tablets per day"
    )


def test_the_prescribers_text_wins_then_the_patient_instruction():
    structured = {**dose(TABLET), **repeat(frequency=1, period=1, periodUnit="d")}

    assert (
        dosage_line({**structured, "text": "Take two tablets each morning"})
        == "Take two tablets each morning"
    )
    assert dosage_line({**structured, "patientInstruction": "Two in the morning"}) == "Two in the morning"
    assert dosage_line({**structured, "text": "  "}) == "2 tablets, once a day"


def test_the_structured_key_needs_both_an_amount_and_a_frequency():
    amount, often = dose(TABLET), repeat(frequency=1, period=1, periodUnit="d")

    assert structured_key({**amount, **often}) == "2 tablets, once a day"
    assert structured_key(amount) == structured_key(often) == ""


def test_the_structured_key_leaves_out_route_dates_and_maximum_but_not_as_needed():
    base = {**dose(TABLET), **repeat(frequency=1, period=1, periodUnit="d")}
    extra = {
        **dose(TABLET),
        "route": ORAL,
        **repeat(frequency=1, period=1, periodUnit="d", boundsPeriod={"start": "2026-01-01"}),
        "maxDosePerPeriod": {"numerator": {"value": 4, "unit": "tablet"}, "denominator": {"code": "d"}},
        "text": "whatever it says",
    }

    assert structured_key(base) == structured_key(extra)
    assert structured_key({**base, "asNeededBoolean": True}) != structured_key(base)


# Garbage


@pytest.mark.parametrize(
    "dosage",
    [
        None,
        "Take 2 tablets",
        [],
        {},
        {"doseAndRate": "2 tablets"},
        {"doseAndRate": [None, "x", {"doseQuantity": "2 tablets"}]},
        dose({"value": True, "unit": "tablet"}),
        dose({"value": "two", "unit": "tablet"}),
        dose({"value": "2 tablets"}),
        dose({"value": -1, "unit": "tablet"}),
        dose({"value": 0, "unit": "tablet"}),
        dose({"value": 1e300, "unit": "mg"}),
        dose({"value": float("inf"), "unit": "mg"}),
        dose({"value": "1e5", "unit": "mg"}),
        dose({"value": [2], "unit": "mg"}),
        {"route": "oral", "timing": "BID", "asNeededCodeableConcept": "pain"},
        repeat(frequency="abc", period=1, periodUnit="d"),
        repeat(frequency=1.5, period=1, periodUnit="d"),
        repeat(frequency=0, period=1, periodUnit="d"),
        repeat(frequency=1, period=0, periodUnit="d"),
        repeat(frequency=1, period=1, periodUnit="fortnight"),
        repeat(frequency=1, period=1, periodUnit=["d"]),  # unhashable where a code belongs
        repeat(frequency=1, period=1),
        repeat(when="MORN"),
        repeat(when=["NOT-A-CODE", 7]),
        {"timing": {"repeat": "daily", "code": ["BID"]}},
        {"maxDosePerPeriod": {"numerator": {"value": 4, "unit": ["x"]}, "denominator": {"code": {"d": 1}}}},
    ],
)
def test_garbage_is_left_out_never_guessed(dosage):
    assert dosage_line(dosage) == ""
    assert structured_key(dosage) == ""


def test_a_good_piece_survives_garbage_next_to_it():
    dosage = {
        **dose({"value": 1, "unit": "tablet"}),
        "route": 42,
        **repeat(frequency="x", period=1, periodUnit="d"),
    }

    assert dosage_line(dosage) == "1 tablet"


def test_long_values_are_bounded():
    dosage = {
        **dose({"value": 1, "unit": "u" * 1000}),
        "route": {"text": "r" * 1000},
        "asNeededCodeableConcept": {"text": "p" * 1000},
        "timing": {"code": {"text": "t" * 1000}},
    }

    assert len(dosage_line(dosage)) <= 500
