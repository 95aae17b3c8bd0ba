"""The coordinator's review of parked messages: who may see it, what it shows, match again, link."""

import pytest

from smartapp.adt import matching, review
from smartapp.adt.models import PARKED, PROCESSED, PatientMatch
from smartapp.adt.process import adt_process_pending
from smartapp.audit.models import AuditEvent
from smartapp.referrals.models import Referral
from tests.referrals import dashboard

from .hl7_messages import raw, store
from .test_matching import FakeEhr

pytestmark = pytest.mark.django_db

PAGE = "/referrals/adt-review/"


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr()
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    monkeypatch.setattr(review, "sync_client", lambda config, max_pages: fake)
    return fake


@pytest.fixture
def parked(ehr):
    rows = store(raw("A01", 0, name="Doe^Ann"), raw("A03", 60, name="Doe^Ann"))
    adt_process_pending()
    return rows


def test_the_page_lists_parked_messages_with_what_finds_the_patient(client, parked):
    dashboard.signed_in(client)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "Ann Doe" in html and "1950-01-04" in html and "MRN-1 (SBX, MR)" in html
    assert "No patient at the EHR has this identifier" in html and parked[1].control_id in html
    event = AuditEvent.objects.filter(action="adt.review").get()
    assert (event.outcome, event.detail) == ("viewed", {"rows": 2})


def test_the_worklist_says_how_many_messages_wait(client, parked):
    dashboard.signed_in(client)
    assert "2 ADT messages wait for review" in client.get("/referrals/").content.decode()


def test_another_connections_coordinator_sees_none_and_cannot_act(client, parked):
    dashboard.signed_in(client, connection="epic")
    assert "Ann Doe" not in client.get(PAGE).content.decode()
    response = client.post(f"{PAGE}{parked[0].pk}/link/", {"patient_id": "p-1"})
    assert response.status_code == 404
    assert "2 ADT messages" not in client.get("/referrals/").content.decode()


def test_a_clinician_and_an_anonymous_user_are_refused(client, parked):
    assert client.get(PAGE).status_code in (302, 403)
    dashboard.signed_in(client, persona="clinician", patient_id="p-1")
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}{parked[0].pk}/match/").status_code == 403


def test_linking_a_patient_processes_the_visit_onto_the_worklist(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.answers = {"read": ["p-42"]}
    response = client.post(f"{PAGE}{parked[1].pk}/link/", {"patient_id": "p-42"})
    assert response.status_code == 303
    for row in parked:
        row.refresh_from_db()
        assert (row.status, row.patient_ref) == (PROCESSED, "Patient/p-42")
    assert Referral.objects.get().patient_ref == "Patient/p-42"
    match = PatientMatch.objects.get(outcome="matched")
    assert (match.method, match.patient_ref) == ("coordinator", "Patient/p-42")
    event = AuditEvent.objects.filter(action="adt.review", outcome="linked").get()
    assert event.patient_ref == "p-42" and "Ann" not in str(event.detail)


def test_a_patient_the_ehr_does_not_have_links_nothing(client, ehr, parked):
    dashboard.signed_in(client)
    response = client.post(f"{PAGE}{parked[1].pk}/link/", {"patient_id": "nobody"})
    assert response.status_code == 400 and "Nothing was linked" in response.content.decode()
    assert not PatientMatch.objects.filter(outcome="matched").exists()
    assert all(row.status == PARKED for row in type(parked[0]).objects.all())


def test_match_again_searches_now(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.answers = {"https://sandbox.smartapp.example/fhir/mrn|MRN-1": ["p-1"]}
    assert client.post(f"{PAGE}{parked[0].pk}/match/").status_code == 303
    assert Referral.objects.get().patient_ref == "Patient/p-1"
    assert AuditEvent.objects.filter(action="adt.review", outcome="matched").exists()


def test_the_actions_need_a_csrf_token(parked):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    dashboard.signed_in(strict)
    assert strict.post(f"{PAGE}{parked[0].pk}/match/").status_code == 403
