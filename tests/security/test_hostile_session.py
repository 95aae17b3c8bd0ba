"""Hostile-input battery, sessions and ids: another patient's id in every URL that takes one, CSRF on every
state-changing action, session fixation, access after logoff or an idle timeout, revoked EHR tokens.

Each case: a clear 403/404/401 page, nothing stored or changed, and the `access.denied` (or sign-out, or
token) audit event. Signed-in browsers without an EHR are tests/referrals/dashboard.py's (a Launch row and
a session holding it, as the callback leaves them); the sandbox EHR runs the cases that need real tokens.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from smartapp.launch.models import Grant, Launch
from smartapp.referrals import tasks
from smartapp.referrals.models import OutreachNote
from smartapp.sandbox import faults
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of
from tests.referrals import dashboard
from tests.security.battery import Watch, assert_clear_page
from tests.security.fake_registration import PATIENT, fhir, searchset

NOT_FOUND = "Not Found"  # Django's 404 page (DEBUG off): says nothing about what exists


@pytest.fixture
def enqueued(monkeypatch):
    """The sync requests "track follow-up" published (nothing reaches a broker)."""
    sent = []
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: sent.append(args))
    return sent


# -- another launch's id in every URL that takes one ------------------------------------------------------
LAUNCH_URLS = {
    "idor-chart": ("get", "/chart/{id}/"),
    "idor-chart-print": ("get", "/chart/{id}/print/"),
    "idor-patient-view": ("get", "/me/{id}/"),
    "idor-note-page": ("get", "/notes/{id}/doc-1/"),
    "idor-note-content": ("get", "/notes/{id}/doc-1/content"),
    "idor-track-follow-up": ("post", "/referrals/track/{id}/"),
    "idor-chart-notes-filter": ("post", "/chart/{id}/"),
}


@pytest.mark.parametrize(("method", "url"), LAUNCH_URLS.values(), ids=LAUNCH_URLS.keys())
@pytest.mark.parametrize("whose", ["another-browsers-launch", "made-up-launch-id"])
def test_a_launch_id_that_is_not_this_browsers(client, db, enqueued, method, url, whose):
    victim = dashboard.signed_in(Client(), persona="clinician", patient_id="p-victim")
    dashboard.signed_in(client, persona="clinician", patient_id="p-attacker")
    target = victim.pk if whose == "another-browsers-launch" else uuid.uuid4()
    watch = Watch()

    page = getattr(client, method)(url.format(id=target))

    assert_clear_page(page, 404, NOT_FOUND)
    assert "p-victim" not in page.content.decode()
    assert watch.grown() == {} and enqueued == []
    assert watch.event("access.denied", "launch_not_found").detail == {"launch": str(target)}


def test_a_launch_of_another_role_is_refused(client, db):
    own = dashboard.signed_in(client, persona="patient", patient_id="p-1")
    watch = Watch()

    page = client.get(f"/chart/{own.pk}/")

    assert_clear_page(page, 403)
    assert watch.grown() == {}
    assert watch.event("access.denied", "wrong_role").launch_id == str(own.pk)


@pytest.mark.parametrize(
    ("document", "subject"),
    [("doc-1", "Patient/p-2"), ("doc-1", f"http://127.0.0.1:9/fhir/Patient/{PATIENT}-other"), ("..", None)],
    ids=["idor-note-of-another-patient", "idor-note-of-a-patient-on-another-server", "idor-note-id-dot-dot"],
)
def test_a_note_that_is_not_this_patients_is_not_found(client, hostile_ehr, document, subject):
    landing = hostile_ehr.launch(client)
    launch_id = landing["Location"].strip("/").split("/")[-1]
    if subject:
        note = {"resourceType": "DocumentReference", "id": document, "subject": {"reference": subject}}
        hostile_ehr.server.answers["/fhir/DocumentReference"] = fhir(searchset(note))
    watch = Watch()

    page = client.get(f"/notes/{launch_id}/{document}/")

    assert_clear_page(page, 404, NOT_FOUND)
    assert watch.grown() == {}
    assert watch.event("access.denied", "record_not_found").patient_ref == PATIENT
    asked = [path for path in hostile_ehr.fhir_requests() if "DocumentReference" in path and "_id" in path]
    assert len(asked) == (1 if subject else 0)  # an id that is no FHIR id is not even asked for


@pytest.mark.parametrize("method", ["get", "post"], ids=["idor-referral-detail", "idor-referral-outreach"])
def test_a_referral_of_another_ehr_connection_is_not_found(client, db, method):
    other = dashboard.referral(state="overdue", connection="epic")
    dashboard.signed_in(client, connection="sandbox")
    watch = Watch()

    url = f"/referrals/{other.pk}/" + ("outreach/" if method == "post" else "")
    page = getattr(client, method)(
        url, {"text": "called", "idempotency_key": "k" * 32} if method == "post" else {}
    )

    assert_clear_page(page, 404, NOT_FOUND)
    assert other.patient_display not in page.content.decode()
    assert watch.grown() == {} and not OutreachNote.objects.exists()
    assert watch.event("access.denied", "referral_not_found").detail == {"referral": other.pk}


# -- CSRF on every state-changing action ----------------------------------------------------------------
def _outreach(client, launch):
    row = dashboard.referral(state="overdue")
    return client.post(f"/referrals/{row.pk}/outreach/", {"text": "called", "idempotency_key": "k" * 32})


CSRF = {
    "csrf-outreach-note": ("coordinator", _outreach),
    "csrf-track-follow-up": (
        "clinician",
        lambda browser, launch: browser.post(f"/referrals/track/{launch.pk}/"),
    ),
    "csrf-logout": ("clinician", lambda browser, launch: browser.post("/logout/")),
    "csrf-chart-notes-filter": (
        "clinician",
        lambda browser, launch: browser.post(f"/chart/{launch.pk}/", {}),
    ),
    "csrf-sign-in-button": (
        "clinician",
        lambda browser, launch: browser.post("/launch/sandbox/", {"as": "x"}),
    ),
}


@pytest.mark.parametrize(("persona", "action"), CSRF.values(), ids=CSRF.keys())
def test_a_post_without_the_csrf_token_is_refused(db, enqueued, persona, action):
    browser = Client(enforce_csrf_checks=True)
    launch = dashboard.signed_in(browser, persona=persona, patient_id="p-1" if persona == "clinician" else "")
    watch = Watch()

    page = action(browser, launch)

    assert_clear_page(page, 403, "This form could not be sent")
    assert watch.grown() == {} or watch.grown() == {"referral": 1}  # the row the outreach case posts to
    assert not OutreachNote.objects.exists() and enqueued == []
    assert Launch.objects.get(pk=launch.pk).ended_at is None  # a forged logout does not sign anyone out
    watch.event("access.denied", "csrf")


# -- the browser's session ----------------------------------------------------------------------------------
def _launched(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code == 200
    return page, launch_id_of(page)


def _cookie(browser, name):
    return browser.cookies.get(name, domain="127.0.0.1", path="/")


def test_session_fixation(browser, app_url):
    """An id an attacker planted in the victim's browser is worth nothing once the victim launches."""
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, planted.session_key, domain="127.0.0.1", path="/")
    page, launch_id = _launched(browser, app_url)
    assert _cookie(browser, settings.SESSION_COOKIE_NAME) != planted.session_key
    watch = Watch()

    with requests.Session() as attacker:
        attacker.cookies.set(settings.SESSION_COOKIE_NAME, planted.session_key, domain="127.0.0.1", path="/")
        stolen = attacker.get(page.url)

    assert_clear_page(stolen, 404, NOT_FOUND)
    assert watch.grown() == {}
    assert watch.event("access.denied", "launch_not_found").user_id is None


def test_access_after_logout(browser, app_url):
    page, launch_id = _launched(browser, app_url)
    csrf = _cookie(browser, settings.CSRF_COOKIE_NAME)
    watch = Watch()

    out = browser.post(
        f"{app_url}/logout/", data={"csrfmiddlewaretoken": csrf}, headers={"Referer": page.url}
    )
    again = browser.get(page.url)

    assert_clear_page(out, 200, "signed out")
    assert_clear_page(again, 404, NOT_FOUND)
    assert watch.grown() == {} and watch.shrunk() == {"grant": 1}  # the tokens are gone
    watch.event("logout", "success")
    watch.event("access.denied", "launch_not_found")


def test_access_after_the_idle_timeout(browser, app_url):
    page, launch_id = _launched(browser, app_url)
    watch = Watch()

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=15, seconds=1)):
        expired = browser.get(page.url)
    again = browser.get(page.url)

    assert_clear_page(expired, 401, "without activity")
    assert_clear_page(again, 404, NOT_FOUND)
    assert watch.grown() == {} and watch.shrunk() == {"grant": 1}
    watch.event("session.expired", "idle")
    watch.event("access.denied", "launch_not_found")


def test_a_revoked_refresh_token_sends_the_user_back_through_the_ehr(browser, app_url):
    from oauth2_provider.models import AccessToken

    page, launch_id = _launched(browser, app_url)
    Grant.objects.filter(launch_id=launch_id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    faults.switch_on(faults.TOKEN_EXPIRED_REFRESH, client_id="smartapp")
    tokens_before = AccessToken.objects.count()
    watch = Watch()

    again = browser.get(page.url)

    assert_clear_page(again, 401, "session with the EHR has ended", "Open smartapp again from your EHR")
    assert watch.grown() == {}
    assert AccessToken.objects.count() == tokens_before  # no new token was issued
    assert not Grant.objects.filter(launch_id=launch_id).exists()  # invalid_grant: tokens deleted
    assert Launch.objects.get(pk=launch_id).ended_at is not None
    watch.event("token.refresh", "invalid_grant")


def test_an_access_token_revoked_at_the_ehr_sends_the_user_back_through_the_ehr(browser, app_url):
    page, launch_id = _launched(browser, app_url)
    faults.switch_on(faults.TOKEN_REVOKED, client_id="smartapp")
    watch = Watch()

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2)):  # past the chart's one-minute reuse
        again = browser.get(page.url)

    assert_clear_page(again, 401, "session with the EHR has ended")
    assert catalog.TYPICAL_PATIENT_ID not in again.text
    assert watch.grown() == {}
    watch.event("fhir.read", "401")
