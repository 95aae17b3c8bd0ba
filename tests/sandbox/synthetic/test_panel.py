"""The referral panel of the follow-up benchmark: its size, its states and its 1% change."""

from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command

from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.panel import CHANGED_BUSINESS_STATUS, panel_changes, referral_panel

ANCHOR = date(2026, 1, 15)


def test_a_panel_holds_exactly_the_referrals_asked_for_in_every_state():
    resources = referral_panel(25, anchor=ANCHOR)

    requests = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    assert len(requests) == 25
    assert len({r["id"] for r in requests}) == 25
    assert Counter(r["resourceType"] for r in resources)["Patient"] == 13
    task_statuses = {r["status"] for r in resources if r["resourceType"] == "Task"}
    assert {"completed", "accepted", "requested", "rejected", "cancelled"} <= task_statuses


def test_the_panel_is_the_same_for_the_same_count_and_anchor():
    assert referral_panel(12, anchor=ANCHOR) == referral_panel(12, anchor=ANCHOR)


def test_the_change_touches_one_task_in_a_hundred_and_nothing_else():
    resources = referral_panel(1000, anchor=ANCHOR)

    changed = panel_changes(resources, 0.01)

    assert len(changed) == 10
    assert {r["resourceType"] for r in changed} == {"Task"}
    assert all(r["businessStatus"]["text"] == CHANGED_BUSINESS_STATUS for r in changed)


@pytest.mark.django_db
def test_the_command_seeds_then_changes_versions_once():
    call_command("sandbox_panel", "seed", "--count", "200", "--anchor-date", "2026-01-15")
    call_command("sandbox_panel", "change", "--count", "200", "--anchor-date", "2026-01-15")
    call_command("sandbox_panel", "change", "--count", "200", "--anchor-date", "2026-01-15")

    tasks = Resource.objects.filter(resource_type="Task", fhir_id__contains="panel-")
    requests = Resource.objects.filter(resource_type="ServiceRequest", patient_id__startswith="panel-")
    assert requests.count() == 200
    assert Counter(tasks.values_list("version_id", flat=True)) == {1: 198, 2: 2}
    assert not Resource.objects.filter(patient_id__in=catalog.PATIENT_IDS).exists()


@pytest.mark.django_db
def test_a_spread_panel_has_a_history_of_update_times_before_now():
    call_command("sandbox_panel", "seed", "--count", "50", "--spread-days", "30")

    stamps = sorted(Resource.objects.values_list("last_updated", flat=True))
    assert (stamps[-1] - stamps[0]).days >= 29
    newest = Resource.objects.order_by("-last_updated").first()
    assert newest.body["meta"]["lastUpdated"].startswith(newest.last_updated.strftime("%Y-%m-%dT%H:%M"))


def test_a_history_adds_older_referrals_and_discharges_and_leaves_the_recent_panel_as_it_was():
    recent = referral_panel(20, anchor=ANCHOR)
    resources = referral_panel(20, anchor=ANCHOR, history_years=40, history_per_patient=8)

    ids = {(r["resourceType"], r["id"]) for r in resources}
    assert len(ids) == len(resources)  # the history's ids never collide with the panel's
    assert all(r in resources for r in recent)
    requests = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    stays = [r for r in resources if r["resourceType"] == "Encounter" and r["class"]["code"] == "IMP"]
    assert (len(requests), len(stays)) == (20 + 10 * 4, 10 * 4)
    dates = sorted(date.fromisoformat(r["authoredOn"][:10]) for r in requests)
    dates += sorted(date.fromisoformat(r["period"]["end"][:10]) for r in stays)
    assert min(dates).year < 1995 and max(dates) <= ANCHOR
    older_than_a_year = [day for day in dates if (ANCHOR - day).days > 365]
    assert len(older_than_a_year) > len(dates) / 2  # most of it is before any tracking horizon
    assert panel_changes(resources, 0.1) != panel_changes(
        recent, 0.1
    )  # the change uses the recent panel only


@pytest.mark.django_db
def test_the_command_seeds_a_history_and_changes_only_recent_tasks():
    args = ("--count", "10", "--anchor-date", "2026-01-15")
    call_command("sandbox_panel", "seed", *args, "--history-years", "40", "--history-per-patient", "2")
    call_command("sandbox_panel", "change", *args, "--fraction", "0.5")

    requests = Resource.objects.filter(resource_type="ServiceRequest")
    assert requests.count() == 10 + 5
    changed = Resource.objects.filter(resource_type="Task", version_id=2)
    # Each patient's two recent referrals are numbered 001 and 002; the history's come after them.
    assert changed.count() == 5 and all(task.fhir_id.endswith(("-001", "-002")) for task in changed)
    history_tasks = Resource.objects.filter(resource_type="Task").exclude(fhir_id__regex=r"-00[12]$")
    assert history_tasks.count() == 5 and not history_tasks.filter(version_id=2).exists()
