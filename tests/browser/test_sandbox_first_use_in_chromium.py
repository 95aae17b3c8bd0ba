"""A first-time user in Debian's Chromium (Playwright): Launch pressed twice on one simulator page, Back after
filtering notes, and "Sign in as a patient" after a clinician's launch (issue 11, items 14, 15, 16)."""

import pytest

from smartapp.sandbox.synthetic import catalog
from tests.browser.test_chart_in_chromium import CHROMIUM, CHROMIUM_ARGS, _launch
from tests.browser.test_chart_in_chromium import pytestmark as chromium_needed
from tests.launch.conftest import CLINICIAN

pytestmark = chromium_needed


@pytest.fixture
def page(app_url, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        context.close()
        browser.close()


def _press_launch(simulator):
    with simulator.context.expect_page() as new_window:
        simulator.click("form.launch-form button[type=submit]")
    chart = new_window.value
    chart.wait_for_load_state()
    return chart


def test_pressing_launch_twice_on_one_simulator_page_opens_the_chart_twice(page, app_url):
    first = _launch(page, app_url, catalog.TYPICAL_PATIENT_ID)  # signs in to smartapp: Django's token rotates
    assert "/chart/" in first.url

    second = _press_launch(page)  # the same page, its form untouched

    assert "/chart/" in second.url and second.url != first.url
    assert "could not be sent" not in second.content()
    assert second.locator("#notes").is_visible()


def test_back_after_filtering_notes_shows_the_filtered_chart_without_resubmitting(page, app_url):
    chart = _launch(page, app_url, catalog.LARGE_PATIENT_ID)
    chart.select_option("form.note-filter select[name=specialty]", "Cardiology")
    chart.click("form.note-filter button[type=submit]")
    chart.wait_for_load_state()
    assert "?filter=" in chart.url and "Cardiology" not in chart.url
    filtered = chart.locator("#notes h3").all_inner_texts()
    assert filtered and all(text.startswith("Cardiology") for text in filtered)

    chart.click("#notes ul.notes a >> nth=0")
    chart.wait_for_load_state()
    assert "/notes/" in chart.url
    response = chart.go_back(wait_until="load")

    assert response is None or response.ok
    assert "?filter=" in chart.url
    assert chart.locator("#notes h3").all_inner_texts() == filtered  # the filtered chart, shown again
    assert "Confirm Form Resubmission" not in chart.content() and "ERR_CACHE_MISS" not in chart.content()
    assert page.dialogs == []


def test_sign_in_as_a_patient_after_a_clinician_launch_asks_who_is_signing_in(page, app_url):
    chart = _launch(page, app_url, catalog.TYPICAL_PATIENT_ID)
    assert "/chart/" in chart.url

    chart.goto(f"{app_url}/")
    chart.click("text=Sign in as a patient")
    chart.wait_for_load_state()
    assert "Who is signing in" in chart.content()
    chart.click(f"tr:has-text('Patient/{catalog.TYPICAL_PATIENT_ID}') button")
    chart.wait_for_load_state()

    assert "/me/" in chart.url
    assert f"Practitioner/{CLINICIAN}" not in chart.content()
