"""Property tests: arbitrary JSON spliced into FHIR skeletons never breaks the medication and allergy rows."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.chart.allergies import plain_allergy_line, summarize_allergies
from smartapp.chart.medications import reconcile_medications
from smartapp.chart.plain_medicines import plain_medicine

# Few examples and no example database: the suite stays fast and leaves no .hypothesis/ in the tree.
FAST = settings(max_examples=60, deadline=None, database=None)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

MEDICATION_KEYS = [
    "id",
    "status",
    "intent",
    "medicationCodeableConcept",
    "medicationReference",
    "contained",
    "dosageInstruction",
    "dosage",
    "requester",
    "informationSource",
    "authoredOn",
    "effectiveDateTime",
    "effectivePeriod",
    "reportedBoolean",
    "reportedReference",
]
ALLERGY_KEYS = [
    "id",
    "clinicalStatus",
    "verificationStatus",
    "criticality",
    "category",
    "code",
    "reaction",
    "recordedDate",
]

# Small pools make collisions (same code, same text, same id) likely, so grouping is exercised.
concepts = st.fixed_dictionaries(
    {},
    optional={
        "coding": st.lists(
            st.fixed_dictionaries(
                {"system": st.sampled_from([RXNORM, "urn:local"]), "code": st.sampled_from(["1", "2", "3"])}
            ),
            max_size=2,
        ),
        "text": st.sampled_from(["Aspirin", " aspirin ", "Warfarin", "", "x" * 400]),
    },
)
skeleton_medications = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "c"]),
        "status": st.sampled_from(
            ["active", "on-hold", "stopped", "completed", "unknown", "entered-in-error"]
        ),
        "medicationCodeableConcept": concepts,
        "dosageInstruction": st.lists(
            st.fixed_dictionaries({"text": st.sampled_from(["1 daily", "2 daily"])})
        ),
        "dosage": st.lists(st.fixed_dictionaries({"text": st.sampled_from(["1 daily", "2 daily"])})),
    }
)


def spliced(skeleton, keys):
    """A skeleton resource with arbitrary JSON overwriting some of its elements."""
    return st.tuples(skeleton, st.dictionaries(st.sampled_from(keys), json_values, max_size=4)).map(
        lambda pair: {**pair[0], **pair[1]}
    )


medication_resources = st.lists(spliced(skeleton_medications, MEDICATION_KEYS), max_size=6)
allergy_resources = st.lists(
    spliced(st.fixed_dictionaries({"resourceType": st.just("AllergyIntolerance")}), ALLERGY_KEYS), max_size=6
)
anything = st.lists(json_values, max_size=3)


def all_strings(value):
    """Every string inside a tree of dataclasses, tuples and lists."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from all_strings(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from all_strings(item)


@FAST
@given(requests=medication_resources, statements=medication_resources, medications=anything)
def test_reconciliation_never_raises_and_keeps_strings_bounded(requests, statements, medications):
    groups = reconcile_medications(requests + medications, statements, medications)

    assert all(len(s) <= 500 for s in all_strings(groups))
    assert all(len(str(plain_medicine(g))) <= 2000 for g in groups)
    assert sum(len(g.sources) for g in groups) <= len(requests + medications + statements)


@FAST
@given(requests=medication_resources, statements=medication_resources)
def test_reconciliation_is_idempotent_over_repeated_input_and_deterministic(requests, statements):
    once = reconcile_medications(requests, statements, [])

    assert reconcile_medications(requests + requests, statements + statements, []) == once
    assert reconcile_medications(requests, statements, []) == once


@FAST
@given(data=st.data(), requests=medication_resources, statements=medication_resources)
def test_reconciliation_does_not_depend_on_input_order(data, requests, statements):
    shuffled_requests = data.draw(st.permutations(requests))
    shuffled_statements = data.draw(st.permutations(statements))

    assert reconcile_medications(shuffled_requests, shuffled_statements, []) == reconcile_medications(
        requests, statements, []
    )


def first_rxnorm_code(resource):
    codings = resource["medicationCodeableConcept"].get("coding", [])
    return next((c["code"] for c in codings if c["system"] == RXNORM), "")


@FAST
@given(skeletons=st.lists(skeleton_medications, max_size=8))
def test_a_group_never_mixes_two_rxnorm_codes(skeletons):
    requests = [{**resource, "id": str(index)} for index, resource in enumerate(skeletons)]
    code_of = {f"MedicationRequest/{r['id']}": first_rxnorm_code(r) for r in requests}

    for group in reconcile_medications(requests, [], []):
        assert {code_of[s.source_id] for s in group.sources} - {""} <= {group.rxnorm}


@FAST
@given(allergies=allergy_resources, junk=anything)
def test_allergy_summary_never_raises_and_accounts_for_every_record(allergies, junk):
    summary = summarize_allergies(allergies + junk)

    assert all(len(s) <= 500 for s in all_strings(summary))
    assert all(len(plain_allergy_line(row)) <= 2000 for row in summary.rows)
    shown = (
        len(summary.rows) + len(summary.inactive) + summary.hidden_refuted + summary.hidden_entered_in_error
    )
    assert shown <= len(allergies + junk)
    assert not (summary.no_known_allergies and summary.rows)


@FAST
@given(allergies=allergy_resources)
def test_allergy_summary_is_idempotent_over_repeated_input_and_order_free(allergies):
    summary = summarize_allergies(allergies)

    assert summarize_allergies(allergies + allergies) == summary
    assert summarize_allergies(list(reversed(allergies))) == summary
