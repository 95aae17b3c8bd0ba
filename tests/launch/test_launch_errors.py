"""Every bad input of the launch gets a clear page and leaves no launch, token or session behind."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from smartapp.audit.models import AuditEvent
from smartapp.launch.models import Grant, Launch, PendingAuthorization
from smartapp.sandbox import faults
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import callback_from_ehr, ehr_launch


def _nothing_persisted():
    return not Launch.objects.exists() and not Grant.objects.exists()


@pytest.mark.parametrize(
    "iss",
    [
        "http://127.0.0.2:8000/sandbox/fhir",  # an internal address no registration uses
        "http://127.0.0.3/fhir",
        "javascript:alert(1)",
        "not a url",
        "",
    ],
)
def test_an_unknown_or_malformed_iss_gets_a_400_page_and_no_request_leaves(browser, app_url, iss):
    page = browser.get(f"{app_url}/launch/?{urlencode({'iss': iss, 'launch': 'x'})}")

    assert page.status_code == 400
    assert "Unknown EHR" in page.text
    assert "Traceback" not in page.text
    assert not PendingAuthorization.objects.exists()
    assert AuditEvent.objects.filter(action="launch.begin", outcome="unknown_iss").exists()


def test_a_forged_state_is_refused(browser, app_url):
    callback = callback_from_ehr(browser, app_url)
    query = parse_qs(urlsplit(callback).query)
    page = browser.get(
        f"{app_url}/callback/sandbox/?{urlencode({'code': query['code'][0], 'state': 'forged'})}"
    )
    assert page.status_code == 400
    assert "Sign-in could not be verified" in page.text
    assert _nothing_persisted()


def test_a_missing_state_is_refused(browser, app_url):
    page = browser.get(f"{app_url}/callback/sandbox/?code=abc")
    assert page.status_code == 400
    assert _nothing_persisted()


def test_a_replayed_callback_is_refused(browser, app_url):
    callback = callback_from_ehr(browser, app_url)
    assert browser.get(callback).status_code == 200
    replay = browser.get(callback)
    assert replay.status_code == 400
    assert Launch.objects.count() == 1


def test_a_state_from_another_browser_is_refused(browser, app_url):
    import requests

    callback = callback_from_ehr(browser, app_url)
    with requests.Session() as other_browser:
        page = other_browser.get(callback)
    assert page.status_code == 400
    assert "another browser" in page.text or "different browser" in page.text
    assert _nothing_persisted()
    assert browser.get(callback).status_code == 400  # and the state is spent for everyone


def test_an_error_redirect_is_checked_and_explained(browser, app_url):
    callback = callback_from_ehr(browser, app_url)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    page = browser.get(f"{app_url}/callback/sandbox/?{urlencode({'error': 'access_denied', 'state': state})}")
    assert page.status_code == 403
    assert "Access not granted" in page.text
    assert _nothing_persisted()


def test_the_sandbox_refusing_the_scope_gives_a_clear_page(browser, app_url):
    page = ehr_launch(
        browser, app_url, catalog.TYPICAL_PATIENT_ID, headers={"X-Sandbox-Fault": faults.AUTH_INVALID_SCOPE}
    )
    assert page.status_code == 400
    assert "Permissions refused" in page.text
    assert _nothing_persisted()


def test_the_sandbox_refusing_the_code_gives_a_clear_page(browser, app_url):
    faults.switch_on(faults.TOKEN_INVALID_TOKEN, client_id="smartapp")
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code == 400
    assert "Traceback" not in page.text and "access_token" not in page.text
    assert _nothing_persisted()


def test_an_unknown_client_stops_at_the_ehr_and_never_reaches_the_app(browser, app_url):
    faults.switch_on(faults.AUTH_INVALID_CLIENT_ID, client_id="smartapp")
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code >= 400
    assert "/sandbox/auth/" in page.url
    assert _nothing_persisted()


def test_a_token_endpoint_that_is_down_gives_a_clear_page(browser, app_url, monkeypatch):
    from smartapp.ehr.errors import EhrUnavailable

    def down(*args, **kwargs):
        raise EhrUnavailable()

    monkeypatch.setattr("smartapp.ehr.token_endpoint.exchange_code", down)
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code == 503
    assert "not answering" in page.text
    assert _nothing_persisted()


def test_a_refused_redirect_uri_stops_at_the_ehr_and_never_reaches_the_app(browser, app_url):
    faults.switch_on(faults.AUTH_INVALID_REDIRECT_URI, client_id="smartapp")
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code >= 400
    assert "/sandbox/auth/" in page.url
    assert _nothing_persisted()
