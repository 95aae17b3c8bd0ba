import copy
import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.chart.notes import (
    OTHER_NOTES,
    UNTITLED,
    NoteAttachment,
    count_entered_in_error,
    filter_notes,
    group_notes,
    note_filter_choices,
)
from smartapp.ehr.dates import parse_fhir_datetime

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def document(doc_id, **fields):
    """A DocumentReference skeleton; `fields` override or add top-level elements."""
    resource = {
        "resourceType": "DocumentReference",
        "id": doc_id,
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
        "subject": {"reference": "Patient/p-1"},
        "date": "2026-05-08T15:00:00Z",
        "author": [{"reference": "Practitioner/pr-1", "display": "Dr. Ada Heart"}],
        "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/b-1", "size": 284}}],
    }
    resource.update(fields)
    return resource


CARDIOLOGY_SETTING = {"coding": [{"system": SNOMED, "code": "394579002", "display": "Cardiology"}]}
ENDOCRINOLOGY_ROLE = {
    "resourceType": "PractitionerRole",
    "id": "role-2",
    "practitioner": {"reference": "Practitioner/pr-2"},
    "specialty": [{"coding": [{"system": SNOMED, "code": "394583002", "display": "Endocrinology"}]}],
}


def names(groups):
    return [group.name for group in groups]


def ids(groups):
    return [row.id for group in groups for row in group.rows]


# Where the specialty comes from


def test_practice_setting_names_the_group():
    groups = group_notes([document("d-1", context={"practiceSetting": CARDIOLOGY_SETTING})])

    assert names(groups) == ["Cardiology"]
    assert groups[0].rows[0].specialty == "Cardiology"


def test_practice_setting_text_is_preferred_to_its_coding_display():
    setting = {
        "coding": [{"system": SNOMED, "code": "394579002", "display": "Cardiology"}],
        "text": "Heart clinic",
    }

    assert names(group_notes([document("d-1", context={"practiceSetting": setting})])) == ["Heart clinic"]


def test_practice_setting_wins_over_the_authors_role():
    note = document(
        "d-1", author=[{"reference": "Practitioner/pr-2"}], context={"practiceSetting": CARDIOLOGY_SETTING}
    )

    assert names(group_notes([note], [ENDOCRINOLOGY_ROLE])) == ["Cardiology"]


def test_authors_practitioner_role_gives_the_specialty_when_the_note_has_no_setting():
    note = document("d-1", author=[{"reference": "Practitioner/pr-2"}])

    assert names(group_notes([note], [ENDOCRINOLOGY_ROLE])) == ["Endocrinology"]


def test_author_reference_matches_a_role_whether_relative_absolute_or_versioned():
    absolute = document("d-1", author=[{"reference": "https://ehr.example/fhir/Practitioner/pr-2"}])
    versioned = document("d-2", author=[{"reference": "Practitioner/pr-2/_history/3"}])

    groups = group_notes([absolute, versioned], [ENDOCRINOLOGY_ROLE])

    assert names(groups) == ["Endocrinology"]
    assert len(groups[0].rows) == 2


def test_an_author_that_is_itself_a_practitioner_role_gives_its_specialty():
    note = document("d-1", author=[{"reference": "PractitionerRole/role-2"}])

    assert names(group_notes([note], [ENDOCRINOLOGY_ROLE])) == ["Endocrinology"]


def test_a_later_author_with_a_known_role_is_used_when_the_first_has_none():
    note = document("d-1", author=[{"reference": "Organization/o-1"}, {"reference": "Practitioner/pr-2"}])

    assert names(group_notes([note], [ENDOCRINOLOGY_ROLE])) == ["Endocrinology"]


def test_a_practice_setting_with_only_a_local_code_falls_through_to_the_next_source():
    setting = {"coding": [{"system": "urn:oid:1.2.3.4", "code": "CARD"}]}
    note = document("d-1", author=[{"reference": "Practitioner/pr-2"}], context={"practiceSetting": setting})

    assert names(group_notes([note], [ENDOCRINOLOGY_ROLE])) == ["Endocrinology"]


@pytest.mark.parametrize(
    ("code", "group"),
    [("11488-4", "Consult notes"), ("18842-5", "Discharge summaries"), ("11506-3", "Progress notes")],
)
def test_without_a_specialty_the_loinc_note_type_names_the_group(code, group):
    note = document("d-1", type={"coding": [{"system": LOINC, "code": code}]})

    assert names(group_notes([note])) == [group]


def test_an_unknown_note_type_is_grouped_under_its_own_name():
    note = document(
        "d-1", type={"coding": [{"system": "urn:local:notes", "code": "PHYS"}], "text": "Physio note"}
    )

    assert names(group_notes([note])) == ["Physio note"]


@pytest.mark.parametrize(
    "note_type",
    [None, {}, {"coding": [{"system": "urn:local", "code": "X1"}]}, "Consult", [1, 2], {"coding": "x"}],
)
def test_a_note_with_no_readable_type_or_specialty_goes_to_other_notes(note_type):
    assert names(group_notes([document("d-1", type=note_type)])) == [OTHER_NOTES]


def test_a_role_without_a_specialty_is_ignored():
    role = {
        "resourceType": "PractitionerRole",
        "practitioner": {"reference": "Practitioner/pr-1"},
        "specialty": [],
    }

    assert names(group_notes([document("d-1")], [role])) == ["Consult notes"]


# The row


def test_row_carries_what_the_list_shows():
    note = document(
        "d-1",
        description="Cardiology consult",
        context={"practiceSetting": CARDIOLOGY_SETTING},
        content=[
            {
                "attachment": {
                    "contentType": "text/html",
                    "url": "Binary/b-1",
                    "size": 463,
                    "title": "Consult",
                }
            },
            {"attachment": {"contentType": "application/pdf", "data": "JVBERi0="}},
        ],
    )

    row = group_notes([note])[0].rows[0]

    assert (row.id, row.title, row.type_display, row.type_code) == (
        "d-1",
        "Cardiology consult",
        "Consult note",
        "11488-4",
    )
    assert (row.specialty, row.author, row.status) == ("Cardiology", "Dr. Ada Heart", "current")
    assert row.date == datetime(2026, 5, 8, 15, 0, tzinfo=UTC)
    assert row.attachments == (
        NoteAttachment("text/html", "Binary/b-1", False, 463, "Consult", position=0),
        NoteAttachment("application/pdf", "", True, None, "", position=1),
    )


def test_title_falls_back_to_the_type_then_to_untitled():
    typed = document("d-1")
    untyped = document("d-2", type=None)

    rows = {row.id: row for group in group_notes([typed, untyped]) for row in group.rows}

    assert rows["d-1"].title == "Consult note"
    assert rows["d-2"].title == UNTITLED


def test_an_author_that_cannot_be_named_is_blank_never_the_reference():
    row = group_notes([document("d-1", author=[{"reference": "Practitioner/pr-9"}])])[0].rows[0]

    assert row.author == ""


def test_date_falls_back_to_the_context_period_start():
    note = document("d-1", date=None, context={"period": {"start": "2026-03-01"}})

    assert group_notes([note])[0].rows[0].date == datetime(2026, 3, 1, tzinfo=UTC)


def test_attachment_position_skips_malformed_content_entries_but_keeps_the_index():
    note = document("d-1", content=["junk", {"attachment": "x"}, {"attachment": {"url": "Binary/b-3"}}])

    (attachment,) = group_notes([note])[0].rows[0].attachments

    assert attachment.url == "Binary/b-3"
    assert attachment.position == 2


@pytest.mark.parametrize("size", [-1, "463", 4.5, True, 10**30])
def test_implausible_attachment_sizes_are_dropped(size):
    note = document("d-1", content=[{"attachment": {"url": "Binary/b-1", "size": size}}])

    assert group_notes([note])[0].rows[0].attachments[0].size is None


# Ordering


def test_groups_are_sorted_by_name_and_rows_newest_first_with_undated_notes_last():
    notes = [
        document("old", date="2024-01-01", type={"text": "Wound care"}),
        document("undated", date=None, type={"text": "Wound care"}),
        document("new", date="2026-01-01T08:00:00+01:00", type={"text": "Wound care"}),
        document("middle", date="2025-06", type={"text": "Wound care"}),
        document("cardio", context={"practiceSetting": CARDIOLOGY_SETTING}),
        document("allergy", context={"practiceSetting": {"text": "allergy and immunology"}}),
    ]

    groups = group_notes(notes)

    assert names(groups) == ["allergy and immunology", "Cardiology", "Wound care"]
    assert [row.id for row in groups[2].rows] == ["new", "middle", "old", "undated"]


def test_timezones_are_compared_as_instants():
    earlier = document("earlier", date="2026-05-08T10:00:00+02:00")  # 08:00 UTC
    later = document("later", date="2026-05-08T09:00:00Z")

    assert ids(group_notes([earlier, later])) == ["later", "earlier"]


def test_order_does_not_depend_on_input_order():
    notes = [document(f"d-{n}", date=f"2026-0{n}-01" if n % 2 else None) for n in range(1, 8)]

    assert group_notes(notes) == group_notes(list(reversed(notes)))


# Entered in error and duplicates


def test_entered_in_error_notes_are_hidden_and_counted():
    notes = [
        document("d-1"),
        document("d-2", status="entered-in-error"),
        document("d-3", status="superseded"),
    ]

    assert ids(group_notes(notes)) == ["d-1", "d-3"]
    assert count_entered_in_error(notes) == 1


def test_the_same_note_from_overlapping_pages_shows_once():
    note = document("d-1")

    assert ids(group_notes([note, copy.deepcopy(note)])) == ["d-1"]
    assert count_entered_in_error([document("d-2", status="entered-in-error")] * 2) == 1


# Filtering


@pytest.fixture
def chart_groups():
    return group_notes(
        [
            document("cardio-1", date="2026-05-01", context={"practiceSetting": CARDIOLOGY_SETTING}),
            document(
                "cardio-2",
                date="2026-07-01",
                description="Echo follow-up",
                type={"coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]},
                context={"practiceSetting": CARDIOLOGY_SETTING},
            ),
            document(
                "endo-1",
                date="2026-06-15T23:30:00Z",
                author=[{"reference": "Practitioner/pr-2", "display": "Dr. Lee Gland"}],
            ),
            document("undated", date=None, type={"text": "Wound care"}),
        ],
        [ENDOCRINOLOGY_ROLE],
    )


def test_no_criteria_keeps_everything(chart_groups):
    assert filter_notes(chart_groups) == chart_groups


def test_filter_by_note_type_display_or_code(chart_groups):
    assert ids(filter_notes(chart_groups, note_type="progress NOTE")) == ["cardio-2"]
    assert ids(filter_notes(chart_groups, note_type="11506-3")) == ["cardio-2"]


def test_filter_by_specialty_drops_other_groups(chart_groups):
    filtered = filter_notes(chart_groups, specialty="cardiology")

    assert names(filtered) == ["Cardiology"]
    assert ids(filtered) == ["cardio-2", "cardio-1"]


def test_filter_by_author(chart_groups):
    assert ids(filter_notes(chart_groups, author="dr. lee GLAND")) == ["endo-1"]


def test_date_bounds_are_inclusive_days_and_exclude_undated_notes(chart_groups):
    assert ids(filter_notes(chart_groups, date_from=date(2026, 6, 15))) == ["cardio-2", "endo-1"]
    assert ids(filter_notes(chart_groups, date_to=date(2026, 6, 15))) == ["cardio-1", "endo-1"]
    assert ids(filter_notes(chart_groups, date_from=date(2026, 5, 2), date_to=date(2026, 6, 30))) == [
        "endo-1"
    ]


def test_date_bounds_accept_datetimes(chart_groups):
    assert ids(filter_notes(chart_groups, date_from=datetime(2026, 7, 1, 12, 0))) == ["cardio-2"]


def test_text_search_is_casefolded_over_title_type_specialty_and_author(chart_groups):
    assert ids(filter_notes(chart_groups, text="ECHO")) == ["cardio-2"]  # title
    assert ids(filter_notes(chart_groups, text="wound")) == ["undated"]  # type
    assert ids(filter_notes(chart_groups, text="endocrin")) == ["endo-1"]  # specialty
    assert ids(filter_notes(chart_groups, text="ada heart")) == ["cardio-2", "cardio-1", "undated"]  # author


def test_criteria_combine(chart_groups):
    assert ids(filter_notes(chart_groups, specialty="Cardiology", text="consult")) == ["cardio-1"]
    assert filter_notes(chart_groups, specialty="Cardiology", author="Dr. Lee Gland") == []


def test_filter_choices_list_each_value_once_sorted(chart_groups):
    choices = note_filter_choices(chart_groups)

    assert choices.types == ("Consult note", "Progress note", "Wound care")
    assert choices.specialties == ("Cardiology", "Endocrinology", "Wound care")
    assert choices.authors == ("Dr. Ada Heart", "Dr. Lee Gland")


# Dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-05", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-08", datetime(2026, 5, 8, tzinfo=UTC)),
        ("2026-05-08T15:00:00.123Z", datetime(2026, 5, 8, 15, tzinfo=UTC)),
        ("2026-05-08T15:00", datetime(2026, 5, 8, 15, tzinfo=UTC)),
        ("2026-05-08T15:00:00-05:00", datetime(2026, 5, 8, 15, tzinfo=timezone(timedelta(hours=-5)))),
        ("2026-02-30", None),
        ("2026-05-08T25:00:00Z", None),
        ("2026-05-08T10:00:00+99:00", None),
        ("08/05/2026", None),
        ("", None),
        (20260508, None),
        (None, None),
        ("\u0662\u0660\u0662\u0666", None),  # Arabic-Indic digits are not a FHIR year
    ],
)
def test_fhir_dates_parse_to_aware_datetimes_or_none(value, expected):
    assert parse_fhir_datetime(value) == expected


# Messy vendor data


@pytest.mark.parametrize(
    "messy",
    [
        {"resourceType": "DocumentReference"},
        document("d-1", status=None, date=12, author="Dr. X", content={"attachment": {}}),
        document("d-1", context=[], description=["x"], type="Consult note"),
        document("d-1", context={"practiceSetting": "Cardiology", "period": "2026"}),
        document(
            "d-1", author=[None, 3, {"reference": 7}, {"display": ["x"]}], content=[{"attachment": None}]
        ),
        document("d-1", extension=[{"url": "urn:vendor:unknown", "valueString": "x"}], meta="not a dict"),
        document(None, status={"coding": [{"code": "current"}]}),
    ],
)
def test_messy_documents_never_raise_and_still_show(messy):
    groups = group_notes([messy], [ENDOCRINOLOGY_ROLE, {"specialty": "x"}, None])

    assert len(ids(groups)) == 1


@pytest.mark.parametrize("documents", [None, "x", {"resourceType": "Bundle"}, [None, 1, "x"]])
def test_input_that_is_not_a_list_of_resources_gives_no_groups(documents):
    assert group_notes(documents, "not roles") == []
    assert count_entered_in_error(documents) == 0


def test_long_strings_are_bounded():
    note = document(
        "d-1", description="x" * 10_000, author=[{"display": "y" * 10_000}], type={"text": "z" * 10_000}
    )

    row = group_notes([note])[0].rows[0]

    assert max(len(row.title), len(row.author), len(row.type_display), len(row.specialty)) <= 200


# The sandbox's patients as a realistic fixture


@pytest.fixture(scope="module")
def sandbox_resources():
    from smartapp.sandbox.synthetic import generate

    return generate(seed=1)


def test_sandbox_large_patient_notes_are_all_grouped_by_specialty(sandbox_resources):
    from smartapp.sandbox.synthetic.catalog import LARGE_PATIENT_ID, LARGE_PATIENT_NOTES

    roles = [r for r in sandbox_resources if r["resourceType"] == "PractitionerRole"]
    notes = [
        r
        for r in sandbox_resources
        if r["resourceType"] == "DocumentReference"
        and r["subject"]["reference"] == f"Patient/{LARGE_PATIENT_ID}"
    ]

    groups = group_notes(notes, roles)

    assert sum(len(group.rows) for group in groups) == LARGE_PATIENT_NOTES
    assert OTHER_NOTES not in names(groups)
    for group in groups:
        dates = [row.date for row in group.rows]
        assert dates == sorted(dates, reverse=True)


def test_sandbox_notes_scenario_shows_urls_and_inline_data(sandbox_resources):
    from smartapp.sandbox.synthetic.catalog import INLINE_NOTE_ID, NOTES_SCENARIO_PATIENT_ID, PDF_NOTE_ID

    notes = [
        r
        for r in sandbox_resources
        if r["resourceType"] == "DocumentReference"
        and r["subject"]["reference"] == f"Patient/{NOTES_SCENARIO_PATIENT_ID}"
    ]
    rows = {row.id: row for group in group_notes(notes) for row in group.rows}

    assert rows[INLINE_NOTE_ID].attachments[0].has_inline_data
    assert rows[PDF_NOTE_ID].attachments[0].content_type == "application/pdf"
    assert rows[PDF_NOTE_ID].attachments[0].url.startswith("Binary/")


# Properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
NOTE_KEYS = ["id", "status", "type", "date", "author", "description", "content", "context"]
splices = st.dictionaries(st.sampled_from(NOTE_KEYS), json_values, max_size=4)
nested_splices = st.fixed_dictionaries(
    {},
    optional={
        "context": st.fixed_dictionaries(
            {},
            optional={
                "practiceSetting": json_values,
                "period": st.fixed_dictionaries({"start": json_values}),
            },
        ),
        "content": st.lists(
            st.fixed_dictionaries(
                {
                    "attachment": st.dictionaries(
                        st.sampled_from(["contentType", "url", "data", "size", "title"]),
                        json_values,
                        max_size=3,
                    )
                }
            ),
            max_size=2,
        ),
        "date": st.sampled_from(["2026-05-08", "2026", None, "2026-13-01", "2026-05-08T10:00:00+02:00"]),
        "id": st.sampled_from(["d-1", "d-2", "d-3"]),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(splices, nested_splices), max_size=6), st.lists(json_values, max_size=2))
def test_arbitrary_json_spliced_into_documents_never_breaks_grouping(spliced, roles):
    notes = [document("d-0") | fields for fields in spliced]

    groups = group_notes(notes, roles)

    for group in groups:
        assert group.rows and all(row.specialty == group.name for row in group.rows)
        for row in group.rows:
            assert all(len(value) <= 2000 for value in dataclasses.astuple(row) if isinstance(value, str))
    assert group_notes(notes + notes, roles) == groups  # duplicates collapse: grouping is idempotent
    assert filter_notes(groups, text="a", date_from=date(2000, 1, 1)) is not None
    assert len(ids(groups)) + count_entered_in_error(notes) <= len(notes)
