"""The Content-Security-Policy breaks nothing in a real browser: Chromium reports no violation while a
clinician launches from the sandbox, sees the chart (the EHR's colours come in by nonce) and opens an HTML
note, whose sandboxed frame still loads under its frame-ancestors."""

from smartapp.sandbox.synthetic import catalog
from tests.browser.test_chart_in_chromium import _launch, page, pytestmark  # noqa: F401  fixture and skip


def test_the_policy_lets_the_chart_and_a_note_render_without_violations(page, app_url):  # noqa: F811
    messages = []
    page.context.on("console", lambda message: messages.append(message.text))

    chart = _launch(page, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)
    inline_rules = chart.evaluate(
        "[...document.styleSheets].filter(s => s.ownerNode.tagName === 'STYLE').map(s => s.cssRules.length)"
    )
    launch_id = chart.url.rstrip("/").rsplit("/", 1)[-1]
    chart.goto(f"{app_url}/notes/{launch_id}/{catalog.NOTE_IDS['html']}/")
    chart.wait_for_load_state()
    note = chart.frames[-1]
    note.wait_for_load_state()

    assert inline_rules == [1]  # the EHR's colours applied, under the nonce
    assert note.url.endswith("/content") and note.locator("body").inner_text().strip()
    assert [m for m in messages if "Content Security Policy" in m or "frame" in m.lower()] == []
