"""Every dashboard URL: coordinators only (403 and an audit event for anyone else), scoped to the EHR
connections the coordinator signed in from, and never stored by a cache."""

import pytest
from django.utils import timezone

from smartapp.audit.models import AuditEvent
from smartapp.launch.models import Launch

from . import dashboard

pytestmark = pytest.mark.django_db


def _urls(pk: int) -> list[tuple[str, str, dict]]:
    outreach = {"text": "called", "idempotency_key": "k" * 32}
    return [
        ("get", "/referrals/", {}),
        ("get", "/referrals/export.csv", {}),
        ("get", f"/referrals/{pk}/", {}),
        ("post", f"/referrals/{pk}/outreach/", outreach),
    ]


URL_NAMES = ["worklist", "export", "detail", "outreach"]


def _call(client, pk: int, index: int):
    method, url, data = _urls(pk)[index]
    return getattr(client, method)(url, data)


@pytest.fixture
def row():
    return dashboard.referral(state="overdue", due_in_days=-5)


@pytest.mark.parametrize("index", range(4), ids=URL_NAMES)
@pytest.mark.parametrize("who", ["anonymous", "clinician", "patient", "ended coordinator"])
def test_only_a_coordinator_gets_in_and_a_refusal_is_audited(client, row, index, who):
    if who == "clinician":
        dashboard.signed_in(client, persona="clinician", patient_id="p-1")
    elif who == "patient":
        dashboard.signed_in(client, persona="patient", patient_id="p-1")
    elif who == "ended coordinator":
        launch = dashboard.signed_in(client)
        Launch.objects.filter(pk=launch.pk).update(ended_at=timezone.now())

    response = _call(client, row.pk, index)

    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied", outcome="not_coordinator")
    assert denied.count() == 1
    assert row.patient_display not in response.content.decode()


@pytest.mark.parametrize("index", range(4), ids=URL_NAMES)
def test_a_coordinator_gets_in_and_nothing_is_cached(client, row, index):
    dashboard.signed_in(client)

    response = _call(client, row.pk, index)

    assert response.status_code == (303 if index == 3 else 200)
    assert "no-store" in response["Cache-Control"]
    assert not AuditEvent.objects.filter(action="access.denied").exists()


def test_a_coordinator_of_one_ehr_cannot_reach_another_ehrs_referral(client, row):
    other = dashboard.referral(state="overdue", due_in_days=-9, connection="epic")
    dashboard.signed_in(client, connection="sandbox")

    assert client.get(f"/referrals/{other.pk}/").status_code == 404
    posted = client.post(f"/referrals/{other.pk}/outreach/", {"text": "x", "idempotency_key": "k" * 32})
    assert posted.status_code == 404
    assert not other.outreach.exists()
    worklist = client.get("/referrals/").content.decode()
    assert row.patient_display in worklist and other.patient_display not in worklist
    assert (
        other.patient_display not in b"".join(client.get("/referrals/export.csv").streaming_content).decode()
    )
    assert client.get("/referrals/?connection=epic").context["page"].paginator.count == 1  # filter dropped


def test_the_connection_filter_chooses_among_the_coordinators_own_ehrs(client, row):
    other = dashboard.referral(state="overdue", connection="epic")
    first = dashboard.signed_in(client, connection="sandbox")
    second = Launch.objects.create(
        user=first.user, config_name="epic", issuer="http://127.0.0.1:9/epic", persona="coordinator"
    )
    dashboard.add_launch(client, first.user, second)

    assert client.get(f"/referrals/{other.pk}/").status_code == 200
    rows = client.get("/referrals/?connection=epic").context["rows"]
    assert [r.pk for r in rows] == [other.pk]
    assert client.get("/referrals/").context["page"].paginator.count == 2


def test_a_launch_of_another_browser_does_not_count(client, row):
    launch = dashboard.signed_in(client)
    client.logout()  # a new session: the launch id is no longer in it
    client.force_login(launch.user)
    assert client.get("/referrals/").status_code == 403
