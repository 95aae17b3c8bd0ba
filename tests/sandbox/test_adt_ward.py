"""The launcher page's hospital ward: Admit and Discharge buttons that change the sandbox's Encounters and
send the A01 / A03 over MLLP (here to a fake listener), with the outcome shown once on the page."""

import re
from html import unescape

import pytest

from smartapp.sandbox.models import Resource
from smartapp.sandbox.simulator import ward
from smartapp.sandbox.store import save_resource
from tests.browser.test_chart_in_chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_chart_in_chromium import pytestmark as chromium_needed
from tests.sandbox.adt_fake_listener import FakeListener

MRN = "https://sandbox.smartapp.example/fhir/mrn"
VISIT = "https://sandbox.smartapp.example/fhir/visit"


@pytest.fixture
def listener():
    fake = FakeListener()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def hospital(transactional_db, settings, listener):
    """pat-1 (Ana Rivera) in hospital (enc-1, in progress), pat-2 (Ben Okoro) at home; the feed aimed at the
    fake listener."""
    settings.SANDBOX_ADT_ENABLED = True
    settings.SANDBOX_ADT_TARGET = f"127.0.0.1:{listener.port}"
    settings.SANDBOX_ADT_ACK_TIMEOUT, settings.SANDBOX_ADT_MAX_ATTEMPTS = 1, 2
    for patient_id, mrn, given, family in (
        ("pat-1", "SBX1", "Ana", "Rivera"),
        ("pat-2", "SBX2", "Ben", "Okoro"),
    ):
        identifier = [{"system": MRN, "value": mrn}]
        name = [{"given": [given], "family": family}]
        save_resource({"resourceType": "Patient", "id": patient_id, "identifier": identifier, "name": name})
    save_resource(
        {
            "resourceType": "Encounter",
            "id": "enc-1",
            "identifier": [{"system": VISIT, "value": "V00000001"}],
            "status": "in-progress",
            "class": {"code": "IMP"},
            "subject": {"reference": "Patient/pat-1"},
            "period": {"start": "2024-04-28T14:00:00Z"},
        }
    )
    return listener


def page(client) -> str:
    response = client.get("/sandbox/")
    assert response.status_code == 200
    return unescape(response.content.decode())


def post(client, url: str, **fields):
    token = re.search(r'name="sandbox_form_token" value="([^"]+)"', page(client)).group(1)
    return client.post(url, {**fields, "sandbox_form_token": token})


def ward_section(html: str) -> str:
    return html[
        html.index('<section class="card" id="ward">') : html.index('<section class="card" id="faults">')
    ]


def discharge_buttons(html: str) -> list[str]:
    return re.findall(r'name="encounter" value="([^"]+)"', ward_section(html))


def test_the_section_says_where_the_messages_go_and_lists_the_stays(hospital, client):
    whole = page(client)
    html = ward_section(whole)
    words = " ".join(html.split())

    assert "Hospital ward (ADT feed)" in html
    assert f"to smartapp's ADT listener at <code>127.0.0.1:{hospital.port}</code>, as a hospital's" in words
    assert '<option value="pat-2">Ben Okoro</option>' in html
    assert "Ana Rivera" in html and "V00000001" in html and "2024-04-28 14:00" in html
    assert discharge_buttons(whole) == ["enc-1"]


def test_admit_opens_a_stay_that_is_listed_and_sends_the_a01(hospital, client):
    response = post(client, "/sandbox/ward/admit/", patient="pat-2")

    assert response.status_code == 302 and response["Location"] == "/sandbox/#ward"
    assert "pat-2" not in response["Location"]
    [stay] = Resource.objects.filter(resource_type="Encounter", patient_id="pat-2")
    assert stay.body["status"] == "in-progress"
    [arrival] = hospital.arrivals
    assert arrival.event == "A01" and b"SBX2" in arrival.payload
    html = page(client)
    assert "Sent A01 for Ben Okoro: acknowledged (AA)." in html
    assert sorted(discharge_buttons(html)) == sorted(["enc-1", stay.fhir_id])


def test_discharge_ends_the_encounter_sends_the_a03_and_shows_the_outcome_once(hospital, client, make_token):
    response = post(client, "/sandbox/ward/discharge/", encounter="enc-1")

    assert response["Location"] == "/sandbox/#ward"
    token = make_token("user/Encounter.read")
    read = client.get("/sandbox/fhir/Encounter/enc-1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert read.status_code == 200
    assert read.json()["status"] == "finished" and read.json()["period"]["end"]
    [arrival] = hospital.arrivals
    assert arrival.event == "A03" and b"V00000001" in arrival.payload
    first, second = page(client), page(client)
    assert "Sent A03 for Ana Rivera: acknowledged (AA)." in first
    assert discharge_buttons(first) == []
    assert "acknowledged" not in second  # shown once


def test_an_unreachable_listener_leaves_the_encounter_ended_and_the_page_says_so(hospital, client, settings):
    closed = FakeListener()
    closed.start()
    closed.stop()
    settings.SANDBOX_ADT_TARGET = f"127.0.0.1:{closed.port}"

    post(client, "/sandbox/ward/discharge/", encounter="enc-1")

    assert Resource.objects.get(resource_type="Encounter", fhir_id="enc-1").body["status"] == "finished"
    html = page(client)
    assert (
        "Ana Rivera's encounter ended, but the ADT message (A03) was not delivered: unreachable "
        "(is `manage.py adt_listen` running?)"
    ) in html
    assert 'role="alert"' in ward_section(html)


def test_a_refused_message_is_reported_as_not_accepted(hospital, client):
    hospital.refused_first = 1  # AE, ERR-3 101: a content error, not resent

    post(client, "/sandbox/ward/discharge/", encounter="enc-1")

    assert "Sent A03 for Ana Rivera: not accepted (AE)" in page(client)


def test_discharging_a_stay_that_already_ended_changes_and_sends_nothing(hospital, client):
    post(client, "/sandbox/ward/discharge/", encounter="enc-1")
    page(client)
    version = Resource.objects.get(resource_type="Encounter", fhir_id="enc-1").version_id

    post(client, "/sandbox/ward/discharge/", encounter="enc-1")  # a second click, from a stale page

    assert Resource.objects.get(resource_type="Encounter", fhir_id="enc-1").version_id == version
    assert len(hospital.arrivals) == 1
    assert "Ana Rivera's stay is not in progress any more: nothing was changed or sent." in page(client)


@pytest.mark.parametrize(
    ("url", "fields"),
    [("/sandbox/ward/admit/", {"patient": "pat-2"}), ("/sandbox/ward/discharge/", {"encounter": "enc-1"})],
)
def test_a_post_without_the_sandbox_form_token_is_refused(hospital, client, url, fields):
    page(client)  # the browser holds a genuine token cookie; the post does not carry it

    response = client.post(url, fields)

    assert response.status_code == 403
    assert Resource.objects.get(resource_type="Encounter", fhir_id="enc-1").body["status"] == "in-progress"
    assert not Resource.objects.filter(resource_type="Encounter", patient_id="pat-2").exists()
    assert hospital.arrivals == []


def test_admitting_an_unknown_patient_is_refused(hospital, client):
    response = post(client, "/sandbox/ward/admit/", patient="pat-404")

    assert response.status_code == 400 and "No sandbox patient has that id." in response.content.decode()
    assert hospital.arrivals == []


def test_a_forged_outcome_cookie_is_ignored(hospital, client):
    client.cookies[ward.COOKIE] = '{"event": "A03", "encounter": "enc-1", "ack": "AA"}'

    assert "acknowledged" not in page(client)


def test_with_the_feed_off_the_section_says_so_and_offers_no_buttons(hospital, client, settings):
    settings.SANDBOX_ADT_ENABLED = False

    html = ward_section(page(client))
    refused = post(client, "/sandbox/ward/admit/", patient="pat-2")

    assert "The ADT feed is off" in html
    assert "<button" not in html and "<form" not in html
    assert refused.status_code == 400
    assert not Resource.objects.filter(resource_type="Encounter", patient_id="pat-2").exists()
    assert hospital.arrivals == []


@chromium_needed
def test_in_chromium_a_discharge_shows_its_outcome_on_the_page(hospital, live_server, monkeypatch):
    """A real browser: the form token cookie, the redirect to #ward and the page's CSP all in play."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        tab.goto(f"{live_server.url}/sandbox/")
        tab.select_option("#ward-patient", "pat-2")
        tab.click("#ward form.ward-admit button[type=submit]")
        tab.wait_for_selector("#ward tr:has-text('Ben Okoro')")
        tab.locator("#ward tr", has_text="Ana Rivera").locator("button").click()
        tab.wait_for_url("**/sandbox/#ward")
        notice = tab.locator("#ward p.banner").inner_text()
        tab.locator("#ward").screenshot(path=str(ARTIFACTS / "sandbox-ward.png"))
        browser.close()

    assert notice == "Sent A03 for Ana Rivera: acknowledged (AA)."
    assert [a.event for a in hospital.arrivals] == ["A01", "A03"]
