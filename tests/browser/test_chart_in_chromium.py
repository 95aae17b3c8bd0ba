"""A clinician's launch in a real browser: Debian's Chromium, driven by Playwright (no downloaded browser).

Launches from the sandbox simulator, sees the allergy banner, a reconciled medication and an opened
specialist note, and saves a screenshot to tests/artifacts/. A hostile note must run nothing.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import CLINICIAN

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (bin/test installs it under CI)",
)


@pytest.fixture
def page(app_url, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM work is all done by then.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        yield page
        context.close()
        browser.close()


def _launch(page, app_url, patient_id):
    page.goto(f"{app_url}/sandbox/")
    page.select_option("#user", CLINICIAN)
    page.select_option("#patient", patient_id)
    page.fill("#app", f"{app_url}/launch/")
    with page.context.expect_page() as new_window:  # the simulator opens the app in a new window
        page.click("form.launch-form button[type=submit]")
    chart = new_window.value
    chart.wait_for_load_state()
    return chart


def test_a_clinician_sees_allergies_medications_and_a_note(page, app_url):
    chart = _launch(page, app_url, catalog.ALLERGY_SCENARIO_PATIENT_ID)

    assert "/chart/" in chart.url
    assert chart.locator("tr.critical .flag").first.is_visible()  # the high-criticality allergy stands out
    assert chart.locator("table.medications tbody tr").first.is_visible()  # today's medicines
    assert chart.locator("#referrals-and-follow-up h2").is_visible()  # follow-up tracking, from the database
    assert chart.locator(".topbar .signed-in").inner_text().strip()  # the clinician, by the EHR's name
    chart.click("#notes a >> nth=0")
    chart.wait_for_load_state()
    assert chart.locator("section.note h1").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / "chart-note.png"), full_page=True)


def test_a_present_disagreement_is_flagged_and_a_replaced_order_is_history(page, app_url):
    chart = _launch(page, app_url, catalog.MEDICATION_SCENARIO_PATIENT_ID)

    lisinopril = chart.locator("table.medications tbody tr", has_text="lisinopril")
    assert lisinopril.locator(".conflict").inner_text() == "⚠ different dose"  # the patient reports 2 tablets
    history = lisinopril.locator("details.history")
    assert re.fullmatch(r"1 earlier order since \d{4}", history.locator("summary").inner_text())
    assert not history.get_attribute("open")


def test_a_hostile_note_runs_nothing_in_the_browser(page, app_url):
    chart = _launch(page, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)
    launch_id = chart.url.rstrip("/").rsplit("/", 1)[-1]
    requests_seen = []
    chart.on("request", lambda request: requests_seen.append(request.url))

    chart.goto(f"{app_url}/notes/{launch_id}/{catalog.HOSTILE_HTML_NOTE_ID}/")
    chart.wait_for_timeout(500)

    assert page.dialogs == [] and chart.frames[-1].url.endswith("/content")
    assert all(url.startswith(app_url) for url in requests_seen)  # no remote image, no beacon


def test_a_synthea_patient_chart_puts_today_first_with_history_collapsed(page, app_url):
    from smartapp.sandbox.importer import SYNTHEA_DIR, resources_import

    [bundle] = SYNTHEA_DIR.glob("Erminia_Ondricka_*.json")
    resources_import(paths=[bundle])
    entries = json.loads(bundle.read_text())["entry"]
    patient_id = next(e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient")

    chart = _launch(page, app_url, patient_id)

    assert "/chart/" in chart.url
    assert chart.locator("table.medications tbody tr").first.is_visible()  # today's medicines, open
    assert chart.locator(".conflict").count() == 0  # decades of records, no false alarm
    past = chart.locator("details.past-medicines")
    assert past.count() == 0 or not past.first.get_attribute("open")  # history stays collapsed
    assert "Practitioner/" not in chart.inner_text("main")
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / "chart-synthea.png"), full_page=True)
