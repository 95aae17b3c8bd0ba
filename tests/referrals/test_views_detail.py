"""A referral's page: its facts, the evidence timeline behind its state, the way to the chart, and outreach
notes (CSRF-checked, one note per form however often it is sent, audited without its text)."""

import logging
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from smartapp.audit.models import AuditEvent
from smartapp.referrals.models import OutreachNote

from . import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


@pytest.fixture
def row():
    return dashboard.referral(state="overdue", due_in_days=-8, patient_ref="Patient/pat-009")


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_it_shows_the_facts_and_the_evidence_oldest_first_with_inferred_links_marked(client, coordinator):
    row = dashboard.referral(state="no-show", due_in_days=-3, request_status="active")
    later = dashboard.evidence(
        row,
        status="noshow",
        date=datetime(2025, 6, 3, 9, tzinfo=UTC),
        link="inferred",
        performer_ref="Practitioner/spec-1",
    )
    earlier = dashboard.evidence(row, kind="task", status="accepted", date=datetime(2025, 5, 2, tzinfo=UTC))
    undated = dashboard.evidence(row, kind="note", status="current", date=None)

    response = client.get(f"/referrals/{row.pk}/")
    html = response.content.decode()
    timeline = response.context["evidence"]

    assert [e.fhir_ref for e in timeline] == [earlier.fhir_ref, later.fhir_ref, undated.fhir_ref]
    assert [(e.inferred, e.behind_state) for e in timeline] == [(False, False), (True, True), (False, False)]
    assert 'class="inferred">inferred' in html and "within the time window" in html
    assert row.patient_display in html and "EHR patient id" in html and row.fhir_ref in html
    assert "Cardiology" in html and "Chest pain" in html and "Practitioner/pcp-1" in html


def test_without_a_clinician_launch_it_names_the_patient_id_and_explains(client, coordinator, row):
    html = client.get(f"/referrals/{row.pk}/").content.decode()
    assert "open patient id <strong>pat-009</strong> in Sandbox EHR" in html
    assert "Open chart" not in html


def test_with_a_clinician_launch_for_that_patient_it_links_to_the_chart(client, coordinator, row):
    launch = dashboard.clinician_launch_for(client, coordinator, patient_id="pat-009")
    dashboard.clinician_launch_for(
        client, coordinator, patient_id="pat-001"
    )  # another patient: not this link

    html = client.get(f"/referrals/{row.pk}/").content.decode()

    assert f'href="/chart/{launch.pk}/">Open chart</a>' in html
    assert html.count("Open chart") == 1


def test_viewing_a_referral_is_audited_with_the_patient_id_only(client, coordinator, row):
    client.get(f"/referrals/{row.pk}/")
    event = AuditEvent.objects.get(action="referrals.view")
    assert (event.patient_ref, event.detail) == ("pat-009", {"referral": row.pk})


def test_an_outreach_note_is_added_and_shown_once_with_contacted(coordinator, row):
    browser = Client(enforce_csrf_checks=True)
    dashboard.add_launch(browser, coordinator.user, coordinator)
    page = browser.get(f"/referrals/{row.pk}/").content.decode()
    form = {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        "idempotency_key": _key(page),
        "text": "Left a voicemail",
        "contacted": "on",
    }

    first = browser.post(f"/referrals/{row.pk}/outreach/", form)
    again = browser.post(f"/referrals/{row.pk}/outreach/", form)  # a double click, a reload, a retry

    assert (first.status_code, first["Location"]) == (303, f"/referrals/{row.pk}/#outreach")
    assert again.status_code == 303
    note = OutreachNote.objects.get()
    assert (note.referral_id, note.author_id, note.text, note.contacted) == (
        row.pk,
        coordinator.user_id,
        "Left a voicemail",
        True,
    )
    events = AuditEvent.objects.filter(action="referrals.outreach")
    assert [(e.outcome, e.patient_ref) for e in events] == [("contacted", "pat-009")]
    assert "voicemail" not in str(events[0].detail)
    shown = browser.get(f"/referrals/{row.pk}/").content.decode()
    assert shown.count("Left a voicemail") == 1 and 'class="contacted">contacted' in shown
    assert _key(shown) != form["idempotency_key"]  # each form gets a fresh key


def test_an_outreach_post_without_the_csrf_token_is_refused(coordinator, row):
    browser = Client(enforce_csrf_checks=True)
    dashboard.add_launch(browser, coordinator.user, coordinator)
    browser.get(f"/referrals/{row.pk}/")

    response = browser.post(f"/referrals/{row.pk}/outreach/", {"idempotency_key": "k" * 32, "text": "x"})

    assert response.status_code == 403
    assert not OutreachNote.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": "x" * 2001, "idempotency_key": "k" * 32}, "a note may be up to 2,000"),
        ({"text": "", "idempotency_key": "k" * 32}, "Write a note or mark the patient contacted"),
        ({"text": "ok", "idempotency_key": "bad key!"}, "This form expired"),
    ],
)
def test_an_invalid_note_is_refused_and_written_nowhere(client, coordinator, row, form, message, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.post(f"/referrals/{row.pk}/outreach/", form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OutreachNote.objects.exists()
    assert "x" * 100 not in caplog.text


def test_the_note_text_never_reaches_a_log(client, coordinator, row, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(f"/referrals/{row.pk}/outreach/", {"text": "Secret words", "idempotency_key": "k" * 32})
    assert OutreachNote.objects.get().text == "Secret words"
    assert "Secret words" not in caplog.text


def test_a_key_used_for_another_referral_writes_nothing(client, coordinator, row):
    other = dashboard.referral(state="overdue")
    client.post(f"/referrals/{row.pk}/outreach/", {"text": "first", "idempotency_key": "k" * 32})

    response = client.post(
        f"/referrals/{other.pk}/outreach/", {"text": "second", "idempotency_key": "k" * 32}
    )

    assert response.status_code == 409
    assert list(OutreachNote.objects.values_list("referral_id", "text")) == [(row.pk, "first")]


def test_outreach_shows_in_the_worklist(client, coordinator, row):
    client.post(f"/referrals/{row.pk}/outreach/", {"contacted": "on", "idempotency_key": "k" * 32})
    shown = client.get("/referrals/").context["rows"][0]
    assert shown.last_outreach_contacted is True and shown.last_outreach_at is not None


def test_a_form_refused_for_its_key_comes_back_with_a_fresh_one_that_works(client, coordinator, row):
    refused = client.post(f"/referrals/{row.pk}/outreach/", {"text": "ok", "idempotency_key": "bad key!"})
    key = _key(refused.content.decode())
    assert key != "bad key!"
    again = client.post(f"/referrals/{row.pk}/outreach/", {"text": "ok", "idempotency_key": key})
    assert again.status_code == 303 and OutreachNote.objects.get().text == "ok"
