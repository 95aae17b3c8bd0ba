"""Track follow-up from the chart: the clinician's own launch only, CSRF, after commit, broker down (the
request waits in the outbox: test_sync_outbox.py)."""

import html
import re
import uuid

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from kombu.exceptions import OperationalError

from smartapp.audit.models import AuditEvent
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.models import Launch
from smartapp.referrals import tasks, track_views
from smartapp.referrals.models import SyncRequest
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit callbacks run as in production
PATIENT = catalog.REFERRAL_PATIENT_ID


@pytest.fixture
def enqueued(published):
    """(connection, patient id) of each sync request the view published (nothing reaches a broker)."""
    return published


def broker_down(monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_request, "apply_async", refused)


def sign_in(client: Client, *, persona: str = "clinician", patient: str = PATIENT) -> Launch:
    """A user of `client` with an open launch of this browser, as the launch callback leaves it."""
    user = get_user_model().objects.create(username=f"user-{uuid.uuid4().hex[:8]}")
    client.force_login(user)
    launch = Launch.objects.create(
        user=user, config_name="sandbox", issuer="http://127.0.0.1:8000/sandbox/fhir", persona=persona,
        fhir_user="Practitioner/pr-001", patient_id=patient,
    )  # fmt: skip
    session = client.session
    session[SESSION_LAUNCHES] = [str(launch.pk)]
    session.save()
    return launch


def track(client: Client, launch: Launch):
    return client.post(f"/referrals/track/{launch.pk}/")


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def audited() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action="referrals.track").values_list("outcome", "patient_ref"))


def test_it_syncs_the_charts_patient_in_the_background_and_returns_to_the_chart(client, enqueued):
    launch = sign_in(client)

    response = track(client, launch)

    assert response.status_code == 302 and response["Location"] == f"/chart/{launch.pk}/"
    assert enqueued == [("sandbox", PATIENT)]  # ids only
    assert said(response) == [track_views.STARTED]
    assert SyncRequest.objects.get().sent_at is not None
    assert audited() == [("requested", PATIENT)]


def test_a_broker_that_is_down_keeps_the_request_and_says_it_is_queued(client, monkeypatch):
    broker_down(monkeypatch)
    launch = sign_in(client)

    response = track(client, launch)

    assert response.status_code == 302
    assert said(response) == [track_views.QUEUED]
    assert audited() == [("requested", PATIENT), ("broker_unavailable", PATIENT)]
    row = SyncRequest.objects.get()
    assert (row.connection, row.patient_id, row.sent_at, row.finished_at) == ("sandbox", PATIENT, None, None)


@pytest.mark.parametrize("persona", ["patient", "coordinator"])
def test_only_a_clinician_launch_may_track(client, enqueued, persona):
    launch = sign_in(client, persona=persona)

    assert track(client, launch).status_code == 403
    assert enqueued == []


def test_another_browsers_launch_is_not_found(client, enqueued):
    launch = sign_in(client)
    other = Client()
    sign_in(other)

    assert track(other, launch).status_code == 404
    assert enqueued == []


def test_a_post_without_the_csrf_token_is_refused(enqueued):
    browser = Client(enforce_csrf_checks=True)
    launch = sign_in(browser)

    assert track(browser, launch).status_code == 403
    assert browser.get(f"/referrals/track/{launch.pk}/").status_code == 405
    assert enqueued == []


def test_a_launch_without_a_patient_has_nothing_to_track(client, enqueued):
    launch = sign_in(client, patient="")

    response = track(client, launch)

    assert said(response) == [track_views.NO_PATIENT]
    assert enqueued == [] and audited() == [("no_patient", "")]


def test_the_charts_button_tracks_the_patient_and_the_chart_says_so(app_url, enqueued):
    with requests.Session() as browser:
        chart = ehr_launch(browser, app_url, PATIENT)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', chart.text).group(1)
        action = re.search(r'<form method="post" action="(/referrals/track/[^"]+)"', chart.text).group(1)

        back = browser.post(
            f"{app_url}{action}", data={"csrfmiddlewaretoken": token}, headers={"Referer": chart.url}
        )

    assert back.url == chart.url and back.status_code == 200
    assert html.escape(track_views.STARTED, quote=True) in back.text
    assert enqueued == [("sandbox", PATIENT)]
