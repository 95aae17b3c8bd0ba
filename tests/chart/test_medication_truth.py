"""Medication truth: today's word per medication, history behind it, conflicts only about the present.

Example tests of the rules, then property tests over one drug's records with arbitrary statuses, kinds,
doses and dates (valid, partial, missing, malformed), in any order and with duplicates.
"""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.chart.medications import reconcile_medications
from smartapp.chart.plain_medicines import plain_medicine

FAST = settings(max_examples=80, deadline=None, database=None)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
STATIN = {"coding": [{"system": RXNORM, "code": "617312", "display": "atorvastatin 20 MG Oral Tablet"}]}
PATIENT = {"reference": "Patient/p-1"}


def order(order_id, authored, status="active", dose="Take 1 tablet daily"):
    return {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": STATIN,
        "authoredOn": authored,
        "requester": {"reference": "Practitioner/pr-1"},
        "dosageInstruction": [{"text": dose}] if dose else [],
    }


def statement(statement_id, effective, status="active", dose="Take 1 tablet daily", source=PATIENT):
    return {
        "resourceType": "MedicationStatement",
        "id": statement_id,
        "status": status,
        "medicationCodeableConcept": STATIN,
        "effectiveDateTime": effective,
        "informationSource": source,
        "dosage": [{"text": dose}] if dose else [],
    }


def yearly_renewals(first_year, last_year, *, older_status="stopped", dose_of=lambda year: "Take 1 tablet"):
    return [
        order(
            f"mr-{year}",
            f"{year}-03-01T10:00:00Z",
            "active" if year == last_year else older_status,
            dose_of(year),
        )
        for year in range(first_year, last_year + 1)
    ]


def test_a_statin_renewed_yearly_since_2001_is_one_current_order_and_its_history():
    [group] = reconcile_medications(yearly_renewals(2001, 2026), [], [])

    assert group.conflicts == ()
    assert [s.source_id for s in group.current] == ["MedicationRequest/mr-2026"]
    assert len(group.history) == 25
    assert group.history_label == "25 earlier orders since 2001"
    assert (group.status, group.in_use) == ("active", True)


def test_renewals_the_ehr_left_active_and_whose_dose_changed_over_the_years_are_no_conflict():
    renewals = yearly_renewals(
        2010, 2026, older_status="active", dose_of=lambda year: f"Take {year % 3 + 1} tablets"
    )
    [group] = reconcile_medications(renewals, [], [])

    assert group.conflicts == ()
    assert len(group.current) == 1


def test_an_active_statement_against_a_newer_stop_is_a_conflict():
    [group] = reconcile_medications(
        [order("mr-1", "2026-06-01", "stopped")],
        [statement("ms-1", "2025-01-01", source={"reference": "Practitioner/pr-2"})],
        [],
    )

    assert group.status == "stopped"
    assert group.conflicts == ("active in one source, stopped in a newer one",)
    assert group.in_use is True


def test_a_patient_saying_they_do_not_take_what_is_prescribed_is_a_conflict():
    [group] = reconcile_medications(
        [order("mr-1", "2026-01-01")], [statement("ms-1", "2026-02-01", "not-taken")], []
    )

    assert group.conflicts == ("prescribed, but the patient reports it not taken",)
    assert plain_medicine(group).note.startswith("You told us you do not take it")


def test_different_doses_among_current_sources_conflict_and_the_patient_view_keeps_the_prescribed_dose():
    orders = [order("mr-1", "2025-01-01"), order("mr-2", "2026-08-01")]
    [group] = reconcile_medications(
        orders, [statement("ms-1", "2026-11-01", dose="Take 2 tablets daily")], []
    )
    medicine = plain_medicine(group)

    assert group.conflicts == ("different dose",)
    assert [s.source_id for s in group.current] == ["MedicationStatement/ms-1", "MedicationRequest/mr-2"]
    assert medicine.directions == "take 1 tablet daily"  # the prescriber's, though the report is newer
    assert medicine.note == (
        "You told us you take it differently: take 2 tablets daily. Please check with your care team."
    )


def test_two_current_orders_of_the_same_day_with_different_doses_conflict():
    orders = [
        order("mr-1", "2026-08-01", dose="Take 1 tablet"),
        order("mr-2", "2026-08-01", dose="Take 3 tablets"),
    ]
    [group] = reconcile_medications(orders, [], [])

    assert group.conflicts == ("different dose",)


def test_a_medicine_whose_newest_words_all_ended_is_a_past_medicine_with_its_last_date():
    [group] = reconcile_medications(
        [order("mr-1", "2019-01-01"), order("mr-2", "2021-05-04T09:00:00Z", "completed")], [], []
    )
    medicine = plain_medicine(group)

    assert (group.in_use, group.conflicts, group.last_date) == (False, (), "2021-05-04T09:00:00Z")
    assert (medicine.in_use, medicine.directions, medicine.last_date) == (
        False,
        "finished",
        "2021-05-04T09:00:00Z",
    )


def test_an_undated_active_source_cannot_be_shown_replaced_and_stays_current():
    [group] = reconcile_medications([order("mr-1", None), order("mr-2", "2026-01-01", "stopped")], [], [])

    assert {s.source_id for s in group.current} == {"MedicationRequest/mr-1", "MedicationRequest/mr-2"}
    assert group.conflicts == ("active in one source, stopped in another",)


def test_dates_in_other_zones_and_precisions_are_ordered_as_instants():
    orders = [order("mr-1", "2026-03-01T23:30:00-05:00", "stopped"), order("mr-2", "2026-03-02T01:00:00Z")]
    [group] = reconcile_medications(orders, [], [])

    # 23:30 at -05:00 is 04:30Z on the 2nd: the stop is the newer word, although its text sorts first.
    assert [s.source_id for s in group.current] == ["MedicationRequest/mr-1"]
    assert (group.status, group.in_use) == ("stopped", False)


def test_entered_in_error_records_never_speak_for_today():
    [group] = reconcile_medications(
        [order("mr-1", "2025-01-01"), order("mr-2", "2026-01-01", "entered-in-error")], [], []
    )

    assert [s.source_id for s in group.current] == ["MedicationRequest/mr-1"]
    assert group.status == "active"


# Property tests ------------------------------------------------------------------------------------------

STATUSES = [
    "active",
    "stopped",
    "completed",
    "on-hold",
    "cancelled",
    "not-taken",
    "unknown",
    "draft",
    "entered-in-error",
    "intended",
    "",
]
DATES = st.one_of(
    st.none(),
    st.dates(min_value=date(1950, 1, 1)).map(str),
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
    st.sampled_from(["2020", "2020-05", "not a date", "2020-13-45", 20200101, ""]),
)
DOSES = st.sampled_from(["", "Take 1 tablet daily", "Take 2 tablets daily", "take 1 tablet DAILY"])


@st.composite
def records(draw):
    """One drug's requests and statements, with distinct ids."""
    count = draw(st.integers(min_value=1, max_value=8))
    requests, statements = [], []
    for index in range(count):
        status, when, dose = draw(st.sampled_from(STATUSES)), draw(DATES), draw(DOSES)
        if draw(st.booleans()):
            requests.append(order(f"mr-{index}", when, status, dose))
        else:
            source = draw(st.sampled_from([PATIENT, {"reference": "Practitioner/pr-9"}]))
            statements.append(statement(f"ms-{index}", when, status, dose, source))
    return requests, statements


@FAST
@given(data=st.data(), found=records())
def test_order_and_duplicates_change_nothing(data, found):
    requests, statements = found
    once = reconcile_medications(requests, statements, [])

    shuffled = data.draw(st.permutations(requests + requests)), data.draw(st.permutations(statements))
    assert reconcile_medications(*shuffled, []) == once
    assert [g.current for g in reconcile_medications(*shuffled, [])] == [g.current for g in once]


@FAST
@given(found=records())
def test_every_source_is_either_current_or_history_and_history_never_decides_a_conflict(found):
    requests, statements = found
    for group in reconcile_medications(requests, statements, []):
        assert sorted(group.current + group.history) == sorted(group.sources)
        assert not set(group.current) & set(group.history)
        current_ids = {s.source_id for s in group.current}
        [again] = reconcile_medications(
            [r for r in requests if f"MedicationRequest/{r['id']}" in current_ids],
            [s for s in statements if f"MedicationStatement/{s['id']}" in current_ids],
            [],
        ) or [None]
        if again is not None:
            assert (again.current, again.conflicts) == (group.current, group.conflicts)


@FAST
@given(found=records(), older_statuses=st.lists(st.sampled_from(STATUSES), min_size=1, max_size=20))
def test_earlier_orders_of_any_status_before_a_newer_order_never_change_today(found, older_statuses):
    requests, statements = found
    newest = order("mr-newest", "2099-01-01T00:00:00Z", "active")
    renewals = [order(f"old-{i}", f"{1960 + i}-06-01", status) for i, status in enumerate(older_statuses)]

    [without] = reconcile_medications([*requests, newest], statements, [])
    [with_history] = reconcile_medications([*requests, newest, *renewals], statements, [])

    assert (with_history.current, with_history.conflicts) == (without.current, without.conflicts)
    assert {s.source_id for s in with_history.history} >= {
        f"MedicationRequest/old-{i}" for i in range(len(renewals))
    }


@FAST
@given(found=records())
def test_the_state_is_the_newest_current_word_and_past_medicines_have_no_live_source(found):
    requests, statements = found
    for group in reconcile_medications(requests, statements, []):
        dated = [s for s in group.current if s.when]
        if dated:
            newest = max(s.when for s in dated)
            assert group.status in {s.status for s in dated if s.when == newest}
        if not group.in_use:
            assert all(
                s.status in {"stopped", "completed", "cancelled", "not-taken", "entered-in-error"}
                for s in group.current
            )
            assert group.conflicts == ()


def test_orders_without_authored_on_are_dated_by_their_supply_or_dosage_start():
    old = {
        **order("mr-1", None, dose="Take 1 tablet"),
        "dispenseRequest": {"validityPeriod": {"start": "2019-01-01"}},
    }
    new = {**order("mr-2", None, dose="Take 2 tablets")}
    new["dosageInstruction"][0]["timing"] = {"repeat": {"boundsPeriod": {"start": "2024-01-01"}}}
    [group] = reconcile_medications([old, new], [], [])

    assert [s.source_id for s in group.current] == ["MedicationRequest/mr-2"]
    assert group.conflicts == () and group.history_label == "1 earlier order since 2019"
