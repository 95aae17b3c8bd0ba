"""The worklist: overdue and no-show first, the open items by default (not closed, not snoozed), filters by
work status and owner and the rest from the query string, sorting, 50 rows a page, and a constant number of
queries whatever the page holds."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartapp.audit.models import AuditEvent
from smartapp.referrals import views

from . import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


def _pks(client, query: str = "") -> list[int]:
    response = client.get(f"/referrals/{query}")
    assert response.status_code == 200
    return [row.pk for row in response.context["rows"]]


def test_overdue_and_no_show_come_first_then_by_due_date(client, coordinator):
    completed = dashboard.referral(state="completed", due_in_days=-40)
    pending = dashboard.referral(state="pending", due_in_days=3)
    late = dashboard.referral(state="overdue", due_in_days=-2)
    later = dashboard.referral(state="overdue", due_in_days=-20)
    missed = dashboard.referral(state="no-show", due_in_days=5)
    scheduled = dashboard.referral(state="scheduled", due_in_days=1)

    assert _pks(client) == [later.pk, late.pk, missed.pk, pending.pk, scheduled.pk, completed.pk]


def test_each_row_shows_patient_referral_due_date_days_overdue_evidence_and_outreach(client, coordinator):
    row = dashboard.referral(
        state="overdue",
        due_in_days=-12,
        state_evidence="Due soon",
        state_inferred=True,
        patient_mrn="MRN-0042",
        patient_birth_date=date(1950, 1, 4),
        patient_phone="555-0199",
    )
    dashboard.outreach(row, contacted=False)
    dashboard.outreach(row, contacted=True)

    response = client.get("/referrals/")
    shown = response.context["rows"][0]
    html = response.content.decode()

    assert (shown.days_overdue, shown.last_outreach_contacted) == (12, True)
    assert shown.last_outreach_at is not None
    assert row.patient_display in html and "<span>MRN MRN-0042</span> · <span>DOB" in html
    assert ">4 Jan 1950</time>" in html
    assert "555-0199" in html
    assert "Cardiology" in html and "Chest pain" in html
    assert dashboard.day(-12).isoformat() in html and "days overdue" in html
    assert 'class="inferred">inferred' in html and "contacted" in html
    assert f'<input type="checkbox" name="ids" value="{row.pk}" id="select-{row.pk}">' in html
    assert (
        f'<label for="select-{row.pk}" class="visually-hidden">Select <bdi>{row.patient_display}</bdi>'
        in html
    )


def test_a_row_without_mrn_birth_date_or_phone_shows_dashes(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    html = client.get("/referrals/").content.decode()
    assert "<span>MRN —</span> · <span>DOB —</span> · <span>phone —</span>" in html


def test_a_row_shows_its_owner_by_name_and_its_next_action_date(client, coordinator):
    colleague = dashboard.colleague()
    dashboard.identity(colleague, fhir_user="Practitioner/co-9", name="Nia Owner")
    due = dashboard.referral(state="overdue", owner=colleague, next_action_on=dashboard.day(0))
    later = dashboard.referral(state="pending", next_action_on=dashboard.day(9))

    response = client.get("/referrals/")
    rows = {row.pk: row for row in response.context["rows"]}
    html = response.content.decode()

    assert (rows[due.pk].owner_id, rows[due.pk].next_action_due) == (colleague.pk, True)
    assert (rows[later.pk].owner_display, rows[later.pk].next_action_due) == ("", False)
    assert rows[due.pk].owner_display in (
        "Nia Owner",
        "EHR user Practitioner/co-9",
    )  # named once identities are
    assert f"<bdi>{rows[due.pk].owner_display}</bdi>" in html and "Unassigned" in html
    assert 'class="next-action next-action-due">Next action' in html


def test_days_overdue_are_blank_when_not_due_or_done(client, coordinator):
    dashboard.referral(state="completed", due_in_days=-3)
    dashboard.referral(state="pending", due_in_days=4)
    dashboard.referral(state="pending", due_in_days=None)
    assert [row.days_overdue for row in client.get("/referrals/").context["rows"]] == [None, None, None]


def test_a_closed_item_is_never_counted_overdue(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-30, closed_reason="before_tracking")
    dashboard.referral(state="overdue", due_in_days=-3, closed_reason="reached")
    rows = client.get("/referrals/?show=all").context["rows"]
    assert [(row.state, row.days_overdue) for row in rows] == [("overdue", None), ("overdue", None)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?state=overdue", {"overdue-cardio", "overdue-discharge"}),
        ("?specialty=394584008", {"pending-gastro"}),
        ("?performer=Practitioner/spec-9", {"pending-gastro"}),
        ("?kind=discharge", {"overdue-discharge"}),
        ("?kind=referral&state=overdue", {"overdue-cardio"}),
        ("?state=bogus", {"overdue-cardio", "overdue-discharge", "pending-gastro"}),  # invalid: ignored
    ],
)
def test_it_filters_by_state_specialty_performer_and_kind(client, coordinator, query, expected):
    rows = {
        "overdue-cardio": dashboard.referral(state="overdue", due_in_days=-1),
        "overdue-discharge": dashboard.referral(
            state="overdue", kind="discharge", fhir_ref="Encounter/enc-1", due_in_days=-3
        ),
        "pending-gastro": dashboard.referral(
            specialty_code="394584008",
            specialty_display="Gastroenterology",
            performer_ref="Practitioner/spec-9",
        ),
    }
    names = {row.pk: name for name, row in rows.items()}
    assert {names[pk] for pk in _pks(client, query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"open", "snooze-over"}),
        ("?show=snoozed", {"snoozed"}),
        ("?show=closed", {"closed"}),
        ("?show=before_tracking", {"horizon"}),
        ("?show=all", {"open", "snooze-over", "snoozed", "closed", "horizon"}),
        ("?show=bogus", {"open", "snooze-over"}),  # invalid: the default
    ],
)
def test_it_shows_open_items_by_default_and_each_work_status_on_request(client, coordinator, query, expected):
    rows = {
        "open": dashboard.referral(state="overdue"),
        "snooze-over": dashboard.referral(state="overdue", snoozed_until=dashboard.day(0)),
        "snoozed": dashboard.referral(state="overdue", snoozed_until=dashboard.day(1)),
        "closed": dashboard.referral(state="overdue", closed_reason="declined"),
        "horizon": dashboard.referral(state="overdue", closed_reason="before_tracking"),
    }
    names = {row.pk: name for name, row in rows.items()}
    assert {names[pk] for pk in _pks(client, query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?owner=mine", {"mine"}),
        ("?owner=unassigned", {"nobody's"}),
        ("?owner={colleague}", {"colleague's"}),
        ("?owner=mine&state=pending", set()),
        ("?owner=someone", {"mine", "nobody's", "colleague's"}),  # invalid: anyone
    ],
)
def test_it_filters_by_owner(client, coordinator, query, expected):
    colleague = dashboard.colleague()
    rows = {
        "mine": dashboard.referral(state="overdue", owner=coordinator.user),
        "nobody's": dashboard.referral(state="overdue"),
        "colleague's": dashboard.referral(state="overdue", owner=colleague),
    }
    names = {row.pk: name for name, row in rows.items()}
    assert {names[pk] for pk in _pks(client, query.format(colleague=colleague.pk))} == expected


def test_the_filters_offer_work_statuses_and_the_coordinators_of_these_ehrs_by_code(client, coordinator):
    colleague, stranger = dashboard.colleague(), dashboard.colleague(connection="epic")
    response = client.get("/referrals/?show=closed&owner=mine")
    html = response.content.decode()
    assert '<option value="closed" selected>Closed</option>' in html
    assert '<option value="mine" selected>Mine</option>' in html
    members = [member.user_id for member in response.context["team"]]
    assert colleague.pk in members and coordinator.user_id in members and stranger.pk not in members
    assert response.context["heading"] == "All closed referrals, assigned to you"


def test_the_performer_filter_names_people_and_lists_only_what_the_chosen_status_holds(client, coordinator):
    dashboard.referral(performer_ref="Practitioner/pr-004", performer_display="Dr Ada Quill")
    dashboard.referral(performer_ref="Practitioner/pr-005")  # the EHR named no one
    dashboard.referral(
        performer_ref="Practitioner/pr-006", performer_display="Dr Old", closed_reason="before_tracking"
    )

    options = client.get("/referrals/").context["options"]["performers"]
    assert options == [
        ("Practitioner/pr-004", "Dr Ada Quill"),
        ("Practitioner/pr-005", "Not named (Practitioner/pr-005)"),
    ]
    closed = client.get("/referrals/?show=before_tracking").context["options"]["performers"]
    assert closed == [("Practitioner/pr-006", "Dr Old")]
    # A chosen performer stays selected, even where none of the listed referrals has it.
    kept = client.get("/referrals/?performer=Practitioner/pr-006").context["options"]["performers"]
    assert kept[0] == ("Practitioner/pr-006", "Practitioner/pr-006")


def test_state_tabs_count_within_the_work_status(client, coordinator):
    dashboard.referral(state="overdue")
    dashboard.referral(state="overdue", closed_reason="reached")
    dashboard.referral(state="no-show", snoozed_until=dashboard.day(3))

    open_tabs = client.get("/referrals/").context["tabs"]
    closed_tabs = client.get("/referrals/?show=closed").context["tabs"]

    assert [(t.label, t.count) for t in open_tabs[:3]] == [("All", 1), ("Overdue", 1), ("No-show", 0)]
    assert [(t.label, t.count) for t in closed_tabs[:2]] == [("All", 1), ("Overdue", 1)]
    assert closed_tabs[1].url == "?show=closed&state=overdue"


def test_state_tabs_count_under_the_other_filters(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    dashboard.referral(state="overdue", due_in_days=-1, specialty_code="x", specialty_display="X")
    dashboard.referral(state="no-show")

    tabs = client.get("/referrals/?specialty=394579002&state=overdue").context["tabs"]

    assert [(t.label, t.count) for t in tabs[:3]] == [("All", 2), ("Overdue", 1), ("No-show", 1)]
    assert [t.label for t in tabs if t.current] == ["Overdue"]
    assert tabs[2].url == "?specialty=394579002&state=no-show"


@pytest.mark.parametrize("state", ["", "&state=pending"])
def test_it_sorts_by_due_date_both_ways_and_by_other_columns(client, coordinator, state):
    soon = dashboard.referral(due_in_days=2, authored_on=dashboard.day(-1))
    later = dashboard.referral(due_in_days=9, authored_on=dashboard.day(-50))
    undated = dashboard.referral(due_in_days=None, authored_on=dashboard.day(-20))

    assert _pks(client, f"?sort=due{state}") == [soon.pk, later.pk, undated.pk]
    assert _pks(client, f"?sort=-due{state}") == [later.pk, soon.pk, undated.pk]  # no due date: last
    assert _pks(client, f"?sort=authored{state}") == [later.pk, undated.pk, soon.pk]
    assert _pks(client, f"?sort=-authored{state}") == [soon.pk, undated.pk, later.pk]
    assert _pks(client, f"?sort=drop table{state}") == [soon.pk, later.pk, undated.pk]  # unknown: default


def test_sort_links_toggle_and_keep_the_filters(client, coordinator):
    sorts = client.get("/referrals/?state=overdue&sort=due").context["sorts"]
    assert (sorts["due"].url, sorts["due"].aria_sort) == ("?sort=-due&state=overdue", "ascending")
    assert (sorts["evidence"].url, sorts["evidence"].aria_sort) == ("?sort=evidence&state=overdue", "")


def test_it_shows_fifty_rows_a_page_with_links_that_keep_the_filters(client, coordinator):
    for n in range(53):
        dashboard.referral(state="overdue", due_in_days=-1 - n)
    dashboard.referral(state="completed")

    first = client.get("/referrals/?state=overdue")
    second = client.get("/referrals/?state=overdue&page=2")

    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 3
    assert first.context["pages"] == {"next": "?page=2&state=overdue", "last": "?page=2&state=overdue"}
    assert 'href="?page=2&amp;state=overdue"' in first.content.decode()
    assert set(_pks(client, "?state=overdue")).isdisjoint(r.pk for r in second.context["rows"])
    assert client.get("/referrals/?state=overdue&page=99").context["page"].number == 2


def test_the_number_of_queries_does_not_grow_with_the_page(client, coordinator, monkeypatch):
    owners = [dashboard.colleague() for _ in range(3)]
    for owner in owners:
        dashboard.identity(owner, fhir_user="Practitioner/x", name="A Name")

    def fill(count):
        for n in range(count):
            row = dashboard.referral(
                state="overdue", due_in_days=-1 - n, owner=owners[n % 3], next_action_on=dashboard.day(n)
            )
            dashboard.outreach(row, contacted=n % 2 == 0)
            dashboard.evidence(row)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/referrals/")
        return response, [q["sql"] for q in captured.captured_queries]

    fill(1)
    one_row, few = queries()
    fill(59)
    monkeypatch.setattr(views, "PAGE_SIZE", 100)
    sixty_rows, many = queries()

    assert (len(one_row.context["rows"]), len(sixty_rows.context["rows"])) == (1, 60)
    assert len(many) == len(few), set(many) ^ set(few)
    assert len(few) <= 18  # session, user, launches, count, rows, audit, tabs, options, team, freshness
    rows_queries = [sql for sql in many if "last_outreach_at" in sql]
    assert len(rows_queries) == 1


def test_no_patient_name_ever_reaches_a_url(client, coordinator):
    for n in range(60):
        dashboard.referral(state="overdue", due_in_days=-1 - n)
    html = client.get("/referrals/?state=overdue").content.decode()
    urls = re.findall(r'(?:href|action)="([^"]*)"', html)
    assert urls and not any("Patient" in url or "Number" in url for url in urls)


def test_a_view_is_audited_with_filters_but_no_names(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    client.get("/referrals/?state=overdue&specialty=394579002")
    event = AuditEvent.objects.get(action="referrals.worklist")
    assert event.detail == {"state": "overdue", "specialty": "394579002", "page": 1}
    assert event.launch_id == str(coordinator.pk) and event.fhir_user == coordinator.fhir_user
