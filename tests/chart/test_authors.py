"""Note authors by name: HumanName spelling, included and contained authors, and the fallbacks."""

import pytest

from smartapp.chart.authors import author_names, note_author
from smartapp.chart.coding import human_name
from smartapp.chart.notes import group_notes

SNOMED = "http://snomed.info/sct"


def practitioner(fhir_id, *names):
    return {"resourceType": "Practitioner", "id": fhir_id, "name": list(names)}


def note(*authors, **fields):
    return {
        "resourceType": "DocumentReference",
        "id": "d-1",
        "status": "current",
        "date": "2026-05-08T15:00:00Z",
        "author": list(authors),
        **fields,
    }


def row(document, included=()):
    return group_notes([document], list(included))[0].rows[0]


# HumanName


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([{"given": ["Ada", "B."], "family": "Heart"}], "Ada B. Heart"),
        ([{"text": "Dr Ada Heart", "given": ["Ignored"], "family": "Name"}], "Dr Ada Heart"),
        ([{"prefix": ["Dr."], "given": ["Ada"], "family": "Heart"}], "Dr. Ada Heart"),
        ([{"given": ["Ada"], "family": "Heart", "suffix": ["MD"]}], "Ada Heart, MD"),
        (
            [{"prefix": ["Dr."], "given": ["Ada"], "family": "Heart", "suffix": ["M.D.", "FACC"]}],
            "Ada Heart, M.D., FACC",
        ),
        ([{"prefix": ["Dr."], "given": ["Ada"], "family": "Heart", "suffix": ["Jr."]}], "Dr. Ada Heart, Jr."),
        (
            [{"prefix": ["Prof."], "given": ["Ada"], "family": "Heart", "suffix": ["PhD"]}],
            "Prof. Ada Heart, PhD",
        ),
    ],
)
def test_a_human_name_is_spelled_with_its_titles_in_place(names, expected):
    assert human_name(names) == expected


def test_the_official_name_wins_over_an_earlier_one():
    names = [
        {"use": "usual", "given": ["Addie"], "family": "Heart"},
        {"use": "official", "text": "Ada Heart"},
    ]

    assert human_name(names) == "Ada Heart"


def test_without_an_official_name_the_first_usable_one_is_taken():
    names = [
        {"use": "old", "prefix": ["Dr."]},
        "junk",
        {"given": ["Ada"], "family": "Heart"},
        {"text": "Later"},
    ]

    assert human_name(names) == "Ada Heart"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (None, ""),
        ("Ada Heart", ""),
        ([], ""),
        ([{"prefix": ["Dr."], "suffix": ["MD"]}], ""),  # titles alone name nobody
        ([{"family": ["Heart", "Lung"]}], "Heart Lung"),  # DSTU2 sent family as a list
        ([{"given": "Ada", "family": "Heart"}], "Ada Heart"),  # a string where a list belongs
        ([{"given": [None, 3, " ", "Ada"], "family": {"x": 1}}], "Ada"),
        ({"given": ["Ada"], "family": "Heart"}, "Ada Heart"),  # one name instead of a list
        ([{"text": "  Ada \n Heart  "}], "Ada Heart"),
    ],
)
def test_messy_names_never_raise(names, expected):
    assert human_name(names) == expected


def test_a_name_is_bounded():
    assert len(human_name([{"given": ["x" * 300] * 10, "family": "y" * 300}])) <= 200


# Authors of a note


def test_an_included_practitioner_names_an_author_without_a_display():
    included = [practitioner("pr-1", {"prefix": ["Dr."], "given": ["Ada"], "family": "Heart"})]

    assert row(note({"reference": "Practitioner/pr-1"}), included).author == "Dr. Ada Heart"


def test_the_references_display_wins_over_the_included_name():
    included = [practitioner("pr-1", {"family": "Heart"})]

    assert row(note({"reference": "Practitioner/pr-1", "display": "A. Heart"}), included).author == "A. Heart"


def test_an_absolute_or_versioned_reference_finds_the_included_practitioner():
    names = author_names([practitioner("pr-1", {"family": "Heart"})])

    for reference in ("https://ehr.example/fhir/Practitioner/pr-1", "Practitioner/pr-1/_history/4"):
        assert note_author(note({"reference": reference}), names) == "Heart"


def test_a_contained_practitioner_names_its_author():
    document = note(
        {"reference": "#p1"},
        contained=[practitioner("p1", {"given": ["Ada"], "family": "Heart", "suffix": ["MD"]})],
    )

    assert row(document).author == "Ada Heart, MD"


def test_a_contained_role_is_named_after_its_contained_practitioner():
    role = {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "#p1"}}
    document = note({"reference": "#r1"}, contained=[role, practitioner("p1", {"family": "Heart"})])

    assert row(document).author == "Heart"


def test_an_included_role_is_named_after_its_practitioner_and_gives_its_specialty():
    role = {
        "resourceType": "PractitionerRole",
        "id": "role-2",
        "practitioner": {"reference": "Practitioner/pr-2"},
        "specialty": [{"coding": [{"system": SNOMED, "code": "394583002", "display": "Endocrinology"}]}],
    }
    included = [role, practitioner("pr-2", {"given": ["Lee"], "family": "Gland"})]

    [group] = group_notes([note({"reference": "PractitionerRole/role-2"})], included)

    assert (group.name, group.rows[0].author) == ("Endocrinology", "Lee Gland")


def test_a_role_whose_practitioner_was_not_included_uses_the_practitioners_display():
    role = {
        "resourceType": "PractitionerRole",
        "id": "r",
        "practitioner": {"reference": "Practitioner/x", "display": "Lee Gland"},
    }

    assert row(note({"reference": "PractitionerRole/r"}), [role]).author == "Lee Gland"


def test_an_organization_author_is_named():
    included = [{"resourceType": "Organization", "id": "o-1", "name": "Riverbend Heart Clinic"}]

    assert row(note({"reference": "Organization/o-1"}), included).author == "Riverbend Heart Clinic"


def test_a_later_named_author_wins_over_an_earlier_bare_reference():
    included = [practitioner("pr-2", {"family": "Heart"})]

    assert (
        row(note({"reference": "Device/dev-1"}, {"reference": "Practitioner/pr-2"}), included).author
        == "Heart"
    )


@pytest.mark.parametrize(
    "included",
    [
        [],  # the EHR ignored the _include, or the scope did not cover Practitioner
        [practitioner("pr-1")],  # no name at all
        [practitioner("pr-1", {"prefix": ["Dr."]})],  # a title alone
        [practitioner("pr-other", {"family": "Heart"})],  # someone else
        [{"resourceType": "Patient", "id": "pr-1", "name": [{"family": "Wrongtype"}]}],  # another type
        [{"id": "pr-1", "name": [{"family": "Typeless"}]}],
    ],
)
def test_without_a_name_no_author_is_shown_never_the_bare_reference(included):
    assert row(note({"reference": "Practitioner/pr-1"}), included).author == ""


def test_an_unresolved_contained_reference_is_not_shown_as_a_label():
    assert row(note({"reference": "#missing"}), []).author == ""
    assert row(note({"reference": "#missing"}, {"reference": "Practitioner/pr-1"}), []).author == ""


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "x",
        3,
        [None, "x", {"resourceType": "Practitioner"}, {"resourceType": "Practitioner", "id": ["x"]}],
    ],
)
def test_junk_included_resources_are_ignored(junk):
    assert author_names(junk) == {}
    assert row(note({"reference": "Practitioner/pr-1"}), junk if isinstance(junk, list) else []).author == ""


def test_the_first_copy_of_an_author_seen_twice_wins():
    included = [practitioner("pr-1", {"family": "First"}), practitioner("pr-1", {"family": "Second"})]

    assert author_names(included) == {"Practitioner/pr-1": "First"}


def test_authors_that_are_not_references_are_ignored():
    document = note(
        "Dr. Heart", None, {"reference": 3}, {"display": ["x"]}, {"reference": "Practitioner/pr-1"}
    )

    assert row(document, [practitioner("pr-1", {"family": "Heart"})]).author == "Heart"
