"""What a care coordinator sees of the ADT feed, in a real browser (Debian's Chromium, driven by Playwright).

The sandbox's interface engine sends two discharges to smartapp's listener (running in this process): one
of a patient the EHR knows, one whose MRN it has on no Patient. The coordinator signs in through the sandbox
EHR, sees the first on the worklist with the banner saying a message waits for review, opens the review
page, links the second message to its patient by the MRN the EHR shows, and sees it join the worklist.
Screenshots go to tests/artifacts/adt-worklist.png, adt-review.png and adt-review-linked.png.
"""

from smartapp.sandbox.synthetic import catalog
from tests.adt.e2e_support import (
    acked,
    feed_fixture,  # noqa: F401  (fixture)
    sandbox_adt,
    sandbox_mrn,
    stay_ended,
    unknown_patient_discharge_sent,
    wait_settled,
)
from tests.browser.test_chart_in_chromium import ARTIFACTS, page, pytestmark  # noqa: F401 (fixture, skip)

KNOWN, UNKNOWN = "pat-019", "pat-020"


def _discharges_sent() -> None:
    encounter_id = stay_ended(KNOWN)["id"]
    sent = acked(sandbox_adt("send", "--event", "A03", "--patient", KNOWN, "--encounter", encounter_id))
    _, [parked] = unknown_patient_discharge_sent(UNKNOWN, mrn="SBX-NOT-ON-FILE-2")
    wait_settled([*(cid for cid, _ in sent), parked.control_id])


def _sign_in_as_coordinator(tab, app_url):
    tab.goto(f"{app_url}/")
    tab.click("text=Sign in as a care coordinator")
    tab.wait_for_load_state()
    tab.locator("tr", has_text=f"Practitioner/{catalog.COORDINATOR_ID}").locator("button").click()
    tab.wait_for_url(f"{app_url}/referrals/")


def test_a_coordinator_sees_the_adt_discharge_and_links_the_unmatched_one(page, app_url, feed):  # noqa: F811
    _discharges_sent()
    _sign_in_as_coordinator(page, app_url)

    rows = page.locator("table.worklist tbody tr")
    assert rows.count() == 1
    referral_cell = rows.first.locator("td").nth(3).inner_text()
    assert referral_cell.startswith("Hospital stay") and "from the hospital's ADT feed" in referral_cell
    banner = page.locator(".adt-parked")
    assert banner.inner_text().startswith("1 hospital admission or discharge message waits for review: its")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "adt-worklist.png"), full_page=True)

    banner.locator("a").click()
    page.wait_for_url(f"{app_url}/referrals/adt-review/")
    row = page.locator("table.adt-review tbody tr")
    assert row.count() == 1 and "MRN SBX-NOT-ON-FILE-2 (issued by SBX)" in row.inner_text()
    assert not row.locator("input[name=patient_id]").is_visible()  # the FHIR id path is folded away
    page.screenshot(path=str(ARTIFACTS / "adt-review.png"), full_page=True)

    row.get_by_label("Correct MRN").fill(sandbox_mrn(UNKNOWN))
    row.get_by_role("button", name="Link to this MRN").click()
    page.wait_for_load_state()
    confirmation = page.locator(".messages .success")
    assert confirmation.inner_text().startswith("Linked: the discharge follow-up of")
    assert page.locator("text=No admission or discharge message waits for review.").is_visible()
    page.screenshot(path=str(ARTIFACTS / "adt-review-linked.png"), full_page=True)
    confirmation.get_by_role("link", name="Open the follow-up").click()
    page.wait_for_url(f"{app_url}/referrals/*/")
    page.goto(f"{app_url}/referrals/")
    assert rows.count() == 2 and page.locator(".adt-parked").count() == 0
