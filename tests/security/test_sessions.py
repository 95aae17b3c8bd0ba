"""Sessions (HIPAA automatic logoff, SECURITY.md 4): server-side, cookie flags, idle and absolute limits,
a new session id at sign-in, and a sign-out that leaves nothing behind."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from smartapp.audit.models import AuditEvent
from smartapp.launch.models import Grant, Launch
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="ehr-user")


def _expired_events(outcome: str):
    return AuditEvent.objects.filter(action="session.expired", outcome=outcome)


def test_sessions_are_kept_in_the_database_and_the_cookie_holds_only_their_id(client, user):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()


def test_development_cookies_are_httponly_lax_and_work_over_http(client, user):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        clock.shift(timedelta(minutes=1))
        response = client.get("/")  # records the activity, so the session is saved: a fresh cookie
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert not session_cookie["secure"]  # http://127.0.0.1 in development: a Secure cookie never returns
    csrf_cookie = response.cookies[settings.CSRF_COOKIE_NAME]  # the home page has sign-in forms
    assert csrf_cookie["samesite"] == "Lax" and csrf_cookie["httponly"] is True


def test_an_active_session_outlives_the_idle_limit(client, user):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        for _ in range(3):
            clock.shift(timedelta(minutes=14, seconds=59))
            assert client.get("/").status_code == 200  # each request restarts the idle clock
    assert not AuditEvent.objects.filter(action="session.expired").exists()


def test_fifteen_idle_minutes_sign_the_browser_out(client, user):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        clock.shift(timedelta(minutes=14, seconds=59))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=15, seconds=1))
        response = client.get("/")

    assert response.status_code == 401
    assert "signed you out after 15 minutes without activity" in response.content.decode()
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session
    event = _expired_events("idle").get()
    assert event.user_id == user.pk


def test_the_idle_limit_comes_from_the_environment_setting(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        clock.shift(timedelta(seconds=61))
        assert client.get("/").status_code == 401


def test_twelve_hours_after_sign_in_end_even_a_busy_session(client, user):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        for _ in range(71):  # a request every 10 minutes up to 11 h 50 min
            clock.shift(timedelta(minutes=10))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=10))  # 12 h after sign-in
        response = client.get("/")

    assert response.status_code == 401
    assert "12 hours after they sign in" in response.content.decode()
    assert _expired_events("absolute").get().user_id == user.pk


def test_a_new_sign_in_restarts_the_absolute_clock(client, user):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(user)
        clock.shift(timedelta(hours=11, minutes=55))
        client.get("/")
        client.force_login(user)  # a new launch signs in again
        clock.shift(timedelta(minutes=10))
        assert client.get("/").status_code == 200


def _launched(app_url, browser):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code == 200
    return page, launch_id_of(page)


def test_an_idle_launch_ends_its_ehr_tokens_and_is_audited(browser, app_url):
    from oauth2_provider.models import AccessToken

    page, launch_id = _launched(app_url, browser)
    assert AccessToken.objects.count() == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=15, seconds=1)):
        expired = browser.get(page.url)

    assert expired.status_code == 401
    assert "without activity" in expired.text
    assert AccessToken.objects.count() == 0  # revoked at the EHR
    assert not Grant.objects.exists()
    assert Launch.objects.get(pk=launch_id).ended_at is not None
    event = _expired_events("idle").get()
    assert str(event.launch_id) == launch_id and event.patient_ref == catalog.TYPICAL_PATIENT_ID
    assert browser.get(page.url).status_code == 404  # signed out: the launch is gone from this browser


def test_opening_the_app_from_the_ehr_after_the_idle_limit_starts_over(browser, app_url):
    page, first = _launched(app_url, browser)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=20)):
        again = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert again.status_code == 200 and launch_id_of(again) != first
    assert _expired_events("idle").count() == 1
    assert browser.get(page.url).status_code == 404  # the old launch is not in the new session


def test_a_planted_session_id_is_not_the_one_signed_in(browser, app_url):
    """Session fixation: an id an attacker set in the victim's browser is worth nothing after the launch."""
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, planted.session_key, domain="127.0.0.1", path="/")

    page, launch_id = _launched(app_url, browser)

    signed_in = browser.cookies.get(settings.SESSION_COOKIE_NAME, domain="127.0.0.1", path="/")
    assert signed_in and signed_in != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    with requests.Session() as attacker:
        attacker.cookies.set(settings.SESSION_COOKIE_NAME, planted.session_key, domain="127.0.0.1", path="/")
        assert attacker.get(page.url).status_code == 404


def test_logout_clears_the_session_and_the_browser(browser, app_url):
    page, launch_id = _launched(app_url, browser)
    key = browser.cookies.get(settings.SESSION_COOKIE_NAME, domain="127.0.0.1", path="/")
    assert "no-store" in page.headers["Cache-Control"]  # the back button cannot show the chart again
    csrf = browser.cookies.get(settings.CSRF_COOKIE_NAME, domain="127.0.0.1", path="/")

    out = browser.post(
        f"{app_url}/logout/", data={"csrfmiddlewaretoken": csrf}, headers={"Referer": page.url}
    )

    assert out.status_code == 200
    assert out.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in out.headers["Cache-Control"]
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="logout", launch_id=launch_id, outcome="success").exists()
    assert browser.get(page.url).status_code == 404
