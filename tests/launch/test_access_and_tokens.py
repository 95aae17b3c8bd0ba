"""Whose launch a page may show, token refresh, and logout."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from smartapp.launch.models import Grant, Launch
from smartapp.sandbox import faults
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of, sandbox_sign_in, standalone_launch


def _expire(launch_id: str) -> None:
    Grant.objects.filter(launch_id=launch_id).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_launch_id_that_is_not_this_browsers_is_not_found(browser, app_url):
    ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert browser.get(f"{app_url}/chart/{uuid.uuid4()}/").status_code == 404


def test_another_browser_cannot_open_a_launch_by_its_id(browser, app_url):
    import requests

    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    with requests.Session() as other:
        assert other.get(page.url).status_code == 404


def test_a_patient_cannot_open_the_clinician_chart(browser, app_url):
    sandbox_sign_in(browser, app_url, f"Patient/{catalog.TYPICAL_PATIENT_ID}")
    page = standalone_launch(browser, app_url, "patient")
    launch_id = launch_id_of(page)
    assert browser.get(f"{app_url}/chart/{launch_id}/").status_code == 403
    assert browser.get(f"{app_url}/referrals/").status_code == 403


def test_an_expiring_token_is_refreshed_before_use(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    launch_id = launch_id_of(page)
    before = Grant.objects.get(launch_id=launch_id).access_token
    _expire(launch_id)

    again = browser.get(page.url)

    assert again.status_code == 200
    grant = Grant.objects.get(launch_id=launch_id)
    assert grant.access_token != before and grant.refreshed_at is not None
    assert grant.expires_at > timezone.now()


@pytest.mark.services  # needs real row locks: PostgreSQL (in-memory SQLite refuses concurrent writers)
def test_concurrent_requests_refresh_once(browser, app_url):
    from smartapp.launch.grants import grant_access_token

    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    launch = Launch.objects.get(pk=launch_id_of(page))
    _expire(launch.pk)
    tokens, errors = [], []

    def use():
        try:
            tokens.append(grant_access_token(launch))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(tokens)) == 1  # one refresh; the others found its token
    assert not Grant.objects.get(launch=launch).relaunch_needed


def test_a_refused_refresh_token_sends_the_user_back_through_launch(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    launch_id = launch_id_of(page)
    _expire(launch_id)
    faults.switch_on(faults.TOKEN_EXPIRED_REFRESH, client_id="smartapp")

    again = browser.get(page.url)

    assert again.status_code == 401
    assert "session with the EHR has ended" in again.text
    # invalid_grant: the grant is dead for good, so its encrypted tokens are deleted and the launch closed
    assert not Grant.objects.filter(launch_id=launch_id).exists()
    assert Launch.objects.get(pk=launch_id).ended_at is not None


def test_logout_revokes_at_the_ehr_and_clears_the_session(browser, app_url):
    from oauth2_provider.models import AccessToken

    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert AccessToken.objects.count() == 1
    csrf = browser.cookies.get("csrftoken", path="/") or browser.cookies["csrftoken"]

    out = browser.post(
        f"{app_url}/logout/", data={"csrfmiddlewaretoken": csrf}, headers={"Referer": page.url}
    )

    assert out.status_code == 200
    assert "signed out" in out.text
    assert AccessToken.objects.count() == 0  # revoked at the sandbox
    assert not Grant.objects.exists()
    assert Launch.objects.get().ended_at is not None
    assert browser.get(page.url).status_code == 404
