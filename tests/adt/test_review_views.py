"""The coordinator's review of parked messages: who may see it, what it shows, link by MRN, link by FHIR
Patient id, match again, and what the worklist says of them."""

from datetime import timedelta

import pytest
from django.test import Client

from smartapp.adt import matching, review
from smartapp.adt.models import PARKED, PROCESSED, InboundMessage, PatientMatch
from smartapp.adt.process import adt_process_pending
from smartapp.audit.models import AuditEvent
from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals.models import Referral
from tests.referrals import dashboard

from .hl7_messages import START, raw, store
from .test_matching import MRN_SYSTEM, FakeEhr

pytestmark = pytest.mark.django_db

PAGE = "/referrals/adt-review/"
DISCHARGED = START + timedelta(hours=1)
SENT_KEY = f"{MRN_SYSTEM}|MRN-1"  # the identifier as the hospital sent it (hl7_messages.raw)
CORRECT_KEY = f"{MRN_SYSTEM}|SBX-7"  # the MRN the coordinator reads in the EHR


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr()
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    monkeypatch.setattr(review, "sync_client", lambda config, max_pages: fake)
    return fake


@pytest.fixture
def parked(ehr):
    rows = store(
        raw("A01", 0, name="Doe^Ann", birth="19750323"),
        raw("A03", 60, name="Doe^Ann", birth="19750323", discharged=DISCHARGED.strftime("%Y%m%d%H%M")),
    )
    adt_process_pending()
    return rows


def _link_by_mrn(client, message, mrn="SBX-7"):
    return client.post(f"{PAGE}{message.pk}/link/", {"mrn": mrn})


def _refused_event() -> AuditEvent:
    return AuditEvent.objects.filter(action="adt.review", outcome="link_refused").get()


def _nothing_linked() -> bool:
    parked = all(row.status == PARKED for row in InboundMessage.objects.all())
    return parked and not PatientMatch.objects.filter(outcome="matched").exists()


def test_the_page_says_in_words_what_each_message_is_and_about_whom(client, parked):
    dashboard.signed_in(client)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "<h1>Admission and discharge messages to review</h1>" in html and "ADT messages" not in html
    assert "Discharge<br>" in html and f"A03 · control id {parked[1].control_id}" in html
    assert "Admission<br>" in html and "A01 · control id" in html
    assert "<bdi>Ann Doe</bdi>" in html and 'born <time datetime="1975-03-23"' in html
    assert ">23 Mar 1975</time>" in html
    assert "MRN MRN-1 (issued by SBX)" in html and "Visit V1" in html
    assert f'discharged <time datetime="{DISCHARGED.date().isoformat()}T' in html
    assert "No patient at the EHR has the identifier the hospital sent" in html
    assert '<label for="mrn-' in html and "Link to this MRN" in html
    assert "<summary>Link by FHIR Patient id instead</summary>" in html and "Search the EHR again" in html
    event = AuditEvent.objects.filter(action="adt.review").get()
    assert (event.outcome, event.detail) == ("viewed", {"page": 1, "rows": 2})


def test_an_identifier_of_no_known_issuer_is_linked_by_fhir_id_only(client, ehr):
    [message] = store(raw("A03", 0).replace(b"^^^SBX^MR", b"^^^ELSEWHERE^MR"))
    adt_process_pending()
    dashboard.signed_in(client)
    html = client.get(PAGE).content.decode()
    assert "MRN MRN-1 (issued by ELSEWHERE)" in html
    assert 'name="mrn"' not in html and '<details class="adt-more" open>' in html
    response = _link_by_mrn(client, message)
    assert response.status_code == 400 and "Link by FHIR Patient id" in response.content.decode()
    assert _refused_event().detail["reason"] == "no_mrn_system" and _nothing_linked()


def test_the_worklist_says_how_many_messages_wait_in_plain_words(client, parked):
    dashboard.signed_in(client)
    html = client.get("/referrals/").content.decode()
    assert "2 hospital admission or discharge messages wait for review</a>" in html
    assert "their patients could not be found at the EHR." in html and "ADT message" not in html


def test_the_worklist_speaks_of_one_message_in_the_singular(client, ehr):
    store(raw("A03", 0, visit="V9"))
    adt_process_pending()
    dashboard.signed_in(client)
    html = client.get("/referrals/").content.decode()
    assert "1 hospital admission or discharge message waits for review</a>" in html
    assert "its patient could not be found at the EHR." in html


def test_another_connections_coordinator_sees_none_and_cannot_act(client, parked):
    dashboard.signed_in(client, connection="epic")
    assert "Ann Doe" not in client.get(PAGE).content.decode()
    assert _link_by_mrn(client, parked[0]).status_code == 404
    assert client.post(f"{PAGE}{parked[0].pk}/link/", {"patient_id": "p-1"}).status_code == 404
    assert "wait for review" not in client.get("/referrals/").content.decode()


def test_a_clinician_and_an_anonymous_user_are_refused(client, parked):
    assert client.get(PAGE).status_code in (302, 403)
    dashboard.signed_in(client, persona="clinician", patient_id="p-1")
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}{parked[0].pk}/match/").status_code == 403


def test_linking_by_the_mrn_the_ehr_shows_puts_the_discharge_on_the_worklist(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.answers = {CORRECT_KEY: ["p-7"]}

    response = _link_by_mrn(client, parked[1], mrn=" SBX-7 ")

    assert response.status_code == 303 and ehr.searched[-1] == CORRECT_KEY
    for row in parked:
        row.refresh_from_db()
        assert (row.status, row.patient_ref) == (PROCESSED, "Patient/p-7")
    referral = Referral.objects.get()
    assert (referral.patient_ref, referral.kind) == ("Patient/p-7", "discharge")
    match = PatientMatch.objects.get(outcome="matched")  # recorded under the identifier as sent
    assert (match.identifier, match.method, match.patient_ref) == (SENT_KEY, "coordinator", "Patient/p-7")
    event = AuditEvent.objects.filter(action="adt.review", outcome="linked").get()
    assert event.patient_ref == "p-7" and event.detail["method"] == "mrn"
    assert "SBX-7" not in str(event.detail) and "Ann" not in str(event.detail)
    assert "SBX-7" not in response.cookies.output() and "Ann" not in response.cookies.output()

    page = client.get(PAGE).content.decode()
    assert "Linked: the discharge follow-up of <bdi>Ann Doe</bdi> is on the worklist." in page
    assert f'<a href="/referrals/{referral.pk}/">Open the follow-up</a>' in page
    assert "No admission or discharge message waits for review." in page
    assert "Linked:" not in client.get(PAGE).content.decode()  # said once
    worklist = client.get("/referrals/")
    assert [row.pk for row in worklist.context["rows"]] == [referral.pk]
    assert "Hospital stay" in worklist.content.decode()
    assert "from the hospital's ADT feed" in worklist.content.decode()


def test_an_mrn_no_patient_has_links_nothing_and_says_so(client, ehr, parked):
    dashboard.signed_in(client)
    response = _link_by_mrn(client, parked[1], mrn="SBX-404")
    html = response.content.decode()
    assert response.status_code == 400 and "No patient at the EHR has that MRN. Nothing was linked" in html
    assert 'value="SBX-404" aria-invalid="true"' in html  # to correct the typing
    assert _nothing_linked() and not Referral.objects.exists()
    event = _refused_event()
    assert event.detail == {"message": parked[1].pk, "method": "mrn", "reason": "no_patient"}


def test_an_mrn_several_patients_have_links_nothing_and_says_so(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.answers = {CORRECT_KEY: ["p-7", "p-8"]}
    response = _link_by_mrn(client, parked[1])
    assert response.status_code == 400
    assert "Several patients at the EHR have that MRN" in response.content.decode()
    assert _nothing_linked() and _refused_event().detail["reason"] == "several_patients"


def test_an_ehr_that_cannot_be_reached_links_nothing_and_says_so(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.error = EhrUnavailable("The EHR is unavailable.")
    response = _link_by_mrn(client, parked[1])
    assert response.status_code == 400
    assert "The EHR could not be reached just now" in response.content.decode()
    assert _nothing_linked() and _refused_event().detail["reason"] == "ehr_unavailable"


def test_an_empty_mrn_links_nothing(client, ehr, parked):
    dashboard.signed_in(client)
    response = _link_by_mrn(client, parked[1], mrn="   ")
    assert response.status_code == 400
    assert "Enter the patient&#x27;s MRN as the EHR shows it." in response.content.decode()
    assert ehr.searched == [SENT_KEY] and _nothing_linked()  # only the processing's search


def test_linking_by_fhir_patient_id_processes_the_visit_onto_the_worklist(client, ehr, parked):
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
    assert (event.patient_ref, event.detail["method"]) == ("p-42", "fhir_id") and "Ann" not in str(
        event.detail
    )
    assert "Linked: the discharge follow-up of <bdi>Ann Doe</bdi>" in client.get(PAGE).content.decode()


def test_a_patient_id_the_ehr_does_not_have_links_nothing(client, ehr, parked):
    dashboard.signed_in(client)
    response = client.post(f"{PAGE}{parked[1].pk}/link/", {"patient_id": "nobody"})
    html = response.content.decode()
    assert response.status_code == 400 and "The EHR has no patient with that id. Nothing was linked." in html
    assert '<details class="adt-more" open>' in html  # the refused form stays in view
    assert _nothing_linked() and _refused_event().detail["method"] == "fhir_id"


def test_match_again_searches_now_and_says_what_it_found(client, ehr, parked):
    dashboard.signed_in(client)
    assert client.post(f"{PAGE}{parked[0].pk}/match/").status_code == 303
    assert "the EHR still has no single patient" in client.get(PAGE).content.decode()

    ehr.answers = {SENT_KEY: ["p-1"]}
    assert client.post(f"{PAGE}{parked[0].pk}/match/").status_code == 303
    assert Referral.objects.get().patient_ref == "Patient/p-1"
    assert AuditEvent.objects.filter(action="adt.review", outcome="matched").exists()
    page = client.get(PAGE).content.decode()
    assert "Found at the EHR: the discharge follow-up of <bdi>Ann Doe</bdi> is on the worklist." in page


def test_the_actions_need_a_csrf_token(parked):
    strict = Client(enforce_csrf_checks=True)
    dashboard.signed_in(strict)
    assert strict.post(f"{PAGE}{parked[0].pk}/match/").status_code == 403
    assert strict.post(f"{PAGE}{parked[0].pk}/link/", {"mrn": "SBX-7"}).status_code == 403


REPLACED_BY_P8 = [{"other": {"reference": "Patient/p-8"}, "type": "replaced-by"}]


@pytest.mark.parametrize("found", [["p-7"], ["p-7", "p-8"]], ids=["merged-away-only", "with-its-survivor"])
def test_an_mrn_of_a_merged_away_record_links_to_the_patient_that_replaced_it(client, ehr, parked, found):
    dashboard.signed_in(client)
    ehr.answers, ehr.links = {CORRECT_KEY: found}, {"p-7": REPLACED_BY_P8}
    assert _link_by_mrn(client, parked[1]).status_code == 303
    assert {row.patient_ref for row in InboundMessage.objects.all()} == {"Patient/p-8"}
    assert PatientMatch.objects.get(outcome="matched").patient_ref == "Patient/p-8"


def test_a_fhir_id_of_a_merged_away_record_links_to_the_patient_that_replaced_it(client, ehr, parked):
    dashboard.signed_in(client)
    ehr.answers = {"read": ["p-7"]}
    ehr.links = {"p-7": REPLACED_BY_P8}
    assert client.post(f"{PAGE}{parked[1].pk}/link/", {"patient_id": "p-7"}).status_code == 303
    assert Referral.objects.get().patient_ref == "Patient/p-8"
