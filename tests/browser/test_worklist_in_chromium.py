"""A care coordinator's overdue worklist in a real browser: Debian's Chromium, driven by Playwright.

Signs in from the home page through the sandbox EHR as its coordinator, with the referral patient's resources
stored as a sync would store them, sees the overdue referral first, closes two rows at once and sees them
leave the open list, opens the overdue referral, snoozes it from its page, and saves screenshots to
tests/artifacts/.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from smartapp.referrals.store import referral_page_store
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from tests.browser.test_chart_in_chromium import ARTIFACTS, page, pytestmark  # noqa: F401 (fixture, skip)

SYNCED_TYPES = ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference")


@pytest.fixture
def synced(app_url):
    """The referral patient's follow-up resources, stored page by page as the sync stores them."""
    stored = Resource.objects.filter(patient_id=catalog.REFERRAL_PATIENT_ID)
    bodies = list(stored.values_list("resource_type", "body"))
    patient = [body for kind, body in bodies if kind == "Patient"]
    for resource_type in SYNCED_TYPES:
        page_bodies = [body for kind, body in bodies if kind == resource_type]
        referral_page_store(
            connection="sandbox",
            resource_type=resource_type,
            resources=page_bodies + patient,  # the Patient as an _include: the worklist shows its name
            today=timezone.localdate(),
        )


def _sign_in_as_coordinator(tab, app_url):
    tab.goto(f"{app_url}/")
    tab.click("text=Sign in as a care coordinator")
    tab.wait_for_load_state()
    # The sandbox's own sign-in (not the app's): pick its care coordinator.
    tab.locator("tr", has_text=f"Practitioner/{catalog.COORDINATOR_ID}").locator("button").click()
    tab.wait_for_url(f"{app_url}/referrals/")


def test_a_coordinator_sees_the_overdue_referral_first(page, app_url, synced):  # noqa: F811
    _sign_in_as_coordinator(page, app_url)

    first = page.locator("table.worklist tbody tr").first
    assert "state-overdue" in first.get_attribute("class")
    assert first.locator(".overdue-days").inner_text().isdigit()
    page.click("nav.state-tabs >> text=No-show")
    assert page.locator("table.worklist tbody tr").count() == 1
    page.click("nav.state-tabs >> text=Overdue")
    assert page.locator("nav.state-tabs [aria-current=page]").inner_text().startswith("Overdue")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "referrals-worklist.png"), full_page=True)

    _close_the_last_two_rows(page)
    page.screenshot(path=str(ARTIFACTS / "referrals-worklist-actions.png"), full_page=True)

    page.click("nav.state-tabs >> text=Overdue")
    page.locator("table.worklist tbody tr").first.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="Follow-up").locator(".state-overdue").is_visible()
    assert "open patient id" in page.locator(".chart-note").inner_text()
    page.fill("#work-until", (timezone.localdate() + timedelta(days=7)).isoformat())
    page.click("#work button[value=snooze]")
    page.wait_for_load_state()
    assert page.locator("#work .messages").inner_text().startswith("1 referral snoozed until")
    assert page.locator("#work dd").first.inner_text().startswith("Snoozed until")
    page.screenshot(path=str(ARTIFACTS / "referral-detail.png"), full_page=True)


def _close_the_last_two_rows(tab):
    """Select two rows by keyboard-reachable checkboxes, close them with one bulk action, and see them go."""
    tab.click("nav.state-tabs >> text=All")
    rows = tab.locator("table.worklist tbody tr")
    before = rows.count()
    assert before >= 3
    for row in (rows.nth(before - 1), rows.nth(before - 2)):
        row.locator("input[name=ids]").check()
    assert tab.locator("[data-selected-count]").inner_text() == "(2 selected)"
    tab.select_option("#bulk-action", "close")
    assert tab.locator("#bulk-reason").is_visible() and tab.locator("#bulk-until").is_hidden()
    tab.select_option("#bulk-reason", "duplicate")
    tab.click("text=Apply to selected")
    tab.wait_for_load_state()

    assert tab.locator(".messages").inner_text() == "2 referrals closed: duplicate."
    assert rows.count() == before - 2
    assert tab.locator("nav.state-tabs [aria-current=page]").inner_text().startswith("All")
