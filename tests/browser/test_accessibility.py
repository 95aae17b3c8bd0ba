"""WCAG 2.2 AA basics in a real browser (Debian's Chromium, Playwright), checked with axe-core.

axe-core (MPL-2.0, Deque Systems) is vendored in tests/browser/vendor/ with its licence, so no test needs
the network. The pages: the home page, the sandbox launcher, a clinician's chart and a note, a patient's
own view, the coordinator's worklist and an error page; none may have a serious or critical violation.
Then what axe cannot judge alone: the skip link, the chart's visible h1, the notes filter's visible labels,
the favicon, and the warning before the idle sign-out, its "Stay signed in" and the page hidden at the end.
"""

from pathlib import Path

import pytest

from smartapp.sandbox.synthetic import catalog
from tests.browser.test_chart_in_chromium import CHROMIUM, CHROMIUM_ARGS, _launch, pytestmark  # noqa: F401
from tests.browser.test_worklist_in_chromium import _sign_in_as_coordinator, synced  # noqa: F401 (fixture)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def tab(app_url, monkeypatch):
    """A Chromium page whose context lets axe's script in: the app's CSP allows no inline script, and
    add_script_tag adds the vendored file's text inline."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.missing = []  # every 404 of the context's pages (the chart opens in a window of its own)
        context.on("response", lambda r: r.status == 404 and page.missing.append(r.url))
        yield page
        context.close()
        browser.close()


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, WCAG_TAGS)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def _sign_in_as_patient(page, app_url):
    page.goto(f"{app_url}/")
    page.click("text=Sign in as a patient")
    page.wait_for_load_state()
    page.locator("tr", has_text=f"Patient/{catalog.TYPICAL_PATIENT_ID}").locator("button").click()
    page.wait_for_url(f"{app_url}/me/**")


def test_axe_finds_what_it_should_on_a_page_made_to_fail(tab, app_url):
    """The harness itself: the vendored axe runs and reports serious and critical violations."""
    tab.goto(f"{app_url}/")
    tab.set_content('<html><body><input type="text"><img src="/favicon.ico"></body></html>')

    assert {v["id"] for v in serious_violations(tab)} >= {"label", "image-alt", "html-has-lang"}


def test_the_public_pages_have_no_serious_violation(tab, app_url):
    for path in ("/", "/sandbox/", "/no/such/page/"):
        tab.goto(f"{app_url}{path}")
        assert serious_violations(tab) == [], path
    assert tab.locator("h1").inner_text() == "Page not found"


def test_the_chart_and_a_note_have_no_serious_violation(tab, app_url):
    chart = _launch(tab, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)
    assert serious_violations(chart) == []

    chart.click("#notes ul.notes a >> nth=0")
    chart.wait_for_load_state()
    assert serious_violations(chart) == []
    assert tab.missing == []
    assert chart.request.get(f"{app_url}/favicon.ico").status == 200  # headless Chromium asks for none
    assert chart.locator('link[rel="icon"]').count() == 2


def test_the_patients_view_has_no_serious_violation(tab, app_url):
    _sign_in_as_patient(tab, app_url)

    assert serious_violations(tab) == []
    assert tab.locator("h1").inner_text() == "Your record"


def test_the_worklist_has_no_serious_violation(tab, app_url, synced):  # noqa: F811
    _sign_in_as_coordinator(tab, app_url)

    assert serious_violations(tab) == []
    assert tab.locator("a.skip-link").get_attribute("href") == "#content"


def test_a_keyboard_user_skips_to_the_content_of_a_chart_with_a_visible_heading(tab, app_url):
    chart = _launch(tab, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)

    chart.keyboard.press("Tab")
    skip = chart.locator("a.skip-link")
    assert chart.evaluate("document.activeElement.textContent") == "Skip to content" and skip.is_visible()
    chart.keyboard.press("Enter")
    assert chart.evaluate("document.activeElement.id") == "content"
    assert chart.locator("h1").first.is_visible() and chart.locator("h1").first.inner_text().startswith(
        "Chart"
    )
    for label in ("Note type", "Specialty", "Author", "From date", "To date", "Words in the note"):
        assert chart.get_by_label(label).is_visible(), label
        assert chart.locator("form.note-filter label", has_text=label).is_visible(), label


def test_the_idle_warning_comes_before_the_sign_out_and_can_keep_it_off(tab, app_url, settings):
    chart = _launch(tab, app_url, catalog.ALLERGY_SCENARIO_PATIENT_ID)
    settings.SESSION_IDLE_TIMEOUT = 8  # warned after 4 s (half of a short timeout), hidden after 8 s
    chart.reload()
    warning = chart.locator("#idle-warning")
    assert warning.is_hidden()

    warning.wait_for(state="visible", timeout=7000)
    assert warning.inner_text().startswith("You will be signed out in 4 seconds for inactivity.")
    assert serious_violations(chart) == []
    with chart.expect_response("**/session/keep-alive") as kept:
        chart.click("text=Stay signed in")
    assert kept.value.status == 204
    chart.wait_for_timeout(300)
    assert warning.is_hidden() and chart.locator("#content").is_visible()

    chart.locator("#content").wait_for(state="hidden", timeout=12000)
    assert "page was hidden after 8 seconds without activity" in warning.inner_text()
    chart.reload()  # the server agrees: the idle session has ended
    assert chart.locator("h1").inner_text() == "You are signed out"
