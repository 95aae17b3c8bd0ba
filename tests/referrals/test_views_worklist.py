"""The worklist: overdue and no-show first, filters and sorting from the query string, 50 rows a page, and a
constant number of queries whatever the page holds."""

import re

import pytest

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
    row = dashboard.referral(state="overdue", due_in_days=-12, state_evidence="Due soon", state_inferred=True)
    dashboard.outreach(row, contacted=False)
    dashboard.outreach(row, contacted=True)

    response = client.get("/referrals/")
    shown = response.context["rows"][0]
    html = response.content.decode()

    assert (shown.days_overdue, shown.last_outreach_contacted) == (12, True)
    assert shown.last_outreach_at is not None
    assert row.patient_display in html and "id p-" in html
    assert "Cardiology" in html and "Chest pain" in html
    assert dashboard.day(-12).isoformat() in html
    assert 'class="inferred">inferred' in html and "contacted" in html


def test_days_overdue_are_blank_when_not_due_or_done(client, coordinator):
    dashboard.referral(state="completed", due_in_days=-3)
    dashboard.referral(state="pending", due_in_days=4)
    dashboard.referral(state="pending", due_in_days=None)
    assert [row.days_overdue for row in client.get("/referrals/").context["rows"]] == [None, None, None]


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


def test_the_number_of_queries_does_not_grow_with_the_page(
    client, coordinator, monkeypatch, django_assert_max_num_queries
):
    def fill(count):
        for n in range(count):
            row = dashboard.referral(state="overdue", due_in_days=-1 - n)
            dashboard.outreach(row, contacted=n % 2 == 0)
            dashboard.evidence(row)

    fill(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_row:
        client.get("/referrals/")
    fill(120)
    monkeypatch.setattr(views, "PAGE_SIZE", 200)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = client.get("/referrals/")
    assert len(response.context["rows"]) == 121
    assert len(one_row.captured_queries) <= 14


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
