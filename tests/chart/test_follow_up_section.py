"""The chart's "Referrals and follow-up" section (issue 12, item 6): the launch's patient's referrals and
discharges on the launch's EHR connection, from smartapp's own table, shown by a provider the chart finds
by name in settings (chart/extra_sections.py) and never imports."""

import itertools
import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from smartapp.audit.fhir import as_fhir_audit_event
from smartapp.audit.models import AuditEvent
from smartapp.chart import sections
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.models import Launch
from smartapp.referrals.models import Referral

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
SECTION = "referrals-and-follow-up"
FAILING = [
    {
        "provider": "tests.chart.test_follow_up_section.failing_provider",
        "title": "Referrals and follow-up",
        "unavailable": "Follow-up status unavailable just now.",
    }
]


def failing_provider(*, connection, patient_id, today):
    raise RuntimeError("Patient Alice Secretname not found")  # a message that must never reach a log


@pytest.fixture(autouse=True)
def chart_from_no_ehr(monkeypatch):
    """The EHR part of the chart, answered without an EHR: a Patient and four empty sections."""
    found = {name: sections.SectionData(sections.EMPTY) for name in _SECTION_NAMES}

    def fetch(request, launch):
        return {"resourceType": "Patient", "id": launch.patient_id, "name": [{"family": "Chart"}]}, found

    monkeypatch.setattr("smartapp.chart.views._fetch", fetch)


_SECTION_NAMES = ("allergies", "medication_requests", "medication_statements", "notes")


def _launch(client, *, patient_id: str, user=None, connection: str = "sandbox", persona: str = "clinician"):
    """A clinician's open launch for `patient_id` in this browser (another tab when `user` is given)."""
    user = user or get_user_model().objects.create_user(username=f"chart-user-{next(_numbers)}")
    launch = Launch.objects.create(
        user=user,
        config_name=connection,
        issuer="http://127.0.0.1:9/fhir",
        persona=persona,
        fhir_user="Practitioner/pr-1" if persona == "clinician" else f"Patient/{patient_id}",
        patient_id=patient_id,
    )
    client.force_login(user)
    session = client.session
    session[SESSION_LAUNCHES] = [*session.get(SESSION_LAUNCHES, []), str(launch.pk)]
    session.save()
    return launch


def _referral(
    patient_id: str, *, connection: str = "sandbox", state: str = "pending", due_in: int = 10, **fields
):
    today = timezone.localdate()
    values = {
        "connection": connection,
        "fhir_ref": f"ServiceRequest/sr-{next(_numbers)}",
        "patient_ref": f"Patient/{patient_id}",
        "specialty_display": "Cardiology",
        "authored_on": today - timedelta(days=20),
        "due_date": today + timedelta(days=due_in),
        "state": state,
        "state_evidence": "No appointment yet",
        **fields,
    }
    return Referral.objects.create(**values)


def _section_html(response) -> str:
    page = response.content.decode()
    match = re.search(rf'<section[^>]*id="{SECTION}".*?</section>', page, re.S)
    assert match, "the chart has no follow-up section"
    return match.group(0)


def _open_table(response) -> str:
    match = re.search(r'<table class="follow-up">.*?</table>', _section_html(response), re.S)
    return match.group(0) if match else ""


def test_each_tab_shows_only_its_own_patients_referrals_from_its_own_ehr(client):
    first = _launch(client, patient_id="p-7")
    second = _launch(client, patient_id="p-8", user=first.user)  # a second tab, another patient
    _referral("p-7", specialty_display="Cardiology", state="overdue", due_in=-3)
    _referral("p-8", specialty_display="Nephrology")
    _referral("p-7", connection="other-ehr", specialty_display="Dermatology")  # same id, another EHR

    one = _open_table(client.get(f"/chart/{first.pk}/"))
    two = _open_table(client.get(f"/chart/{second.pk}/"))

    assert "Cardiology" in one and "Nephrology" not in one and "Dermatology" not in one
    assert "Nephrology" in two and "Cardiology" not in two and "Dermatology" not in two
    assert 'class="flag">Overdue<' in one and "3 days overdue" in one


def test_a_discharge_reads_as_after_discharge_with_its_dates_and_evidence(client):
    launch = _launch(client, patient_id="p-7")
    today = timezone.localdate()
    _referral(
        "p-7",
        fhir_ref="Encounter/enc-1",
        kind="discharge",
        specialty_display="",
        authored_on=today - timedelta(days=4),
        state="scheduled",
        state_evidence="Appointment booked for next week",
        state_inferred=True,
    )

    table = _open_table(client.get(f"/chart/{launch.pk}/"))

    assert "After discharge" in table and "Discharged" in table
    assert f'datetime="{(today - timedelta(days=4)).isoformat()}"' in table
    assert "Scheduled" in table and "Appointment booked for next week" in table and "(inferred)" in table


def test_closed_and_completed_items_are_left_out_of_the_open_list_and_counted_collapsed(client):
    launch = _launch(client, patient_id="p-7")
    _referral("p-7", specialty_display="Cardiology")
    _referral("p-7", specialty_display="Podiatry", closed_reason="declined", closed_at=timezone.now())
    _referral("p-7", specialty_display="Urology", state="completed", state_evidence="Seen on 1 May")

    section = _section_html(client.get(f"/chart/{launch.pk}/"))
    table = _open_table(client.get(f"/chart/{launch.pk}/"))

    assert "Cardiology" in table and "Podiatry" not in table and "Urology" not in table
    collapsed = re.search(r"<details.*?</details>", section, re.S).group(0)
    assert "2 closed or completed" in collapsed
    assert "Podiatry" in collapsed and "Patient declined" in collapsed and "Urology" in collapsed


def test_the_empty_states_say_whether_tracking_has_anything_for_the_patient(client):
    launch = _launch(client, patient_id="p-7")

    nothing = _section_html(client.get(f"/chart/{launch.pk}/"))
    _referral("p-7", closed_reason="duplicate")
    only_closed = _section_html(client.get(f"/chart/{launch.pk}/"))

    assert "No referrals or discharges synced for this patient yet" in nothing
    assert "Track follow-up" in nothing
    assert "No open referrals or discharges for this patient." in only_closed


def test_showing_the_section_is_audited_with_what_it_showed(client):
    launch = _launch(client, patient_id="p-7")
    _referral("p-7")
    _referral("p-7", fhir_ref="Encounter/enc-9", kind="discharge")

    client.get(f"/chart/{launch.pk}/")

    event = AuditEvent.objects.get(action="chart.section")
    assert event.outcome == "viewed" and event.patient_ref == "p-7" and event.launch_id == str(launch.pk)
    assert event.resource_types == "Encounter,ServiceRequest"
    assert event.detail == {"section": SECTION, "records": 2}
    assert as_fhir_audit_event(event)["outcome"] == "0"  # a read of the patient's record, successful


def test_a_failing_provider_costs_only_its_section_and_logs_no_patient_data(client, settings, caplog):
    settings.CHART_EXTRA_SECTIONS = FAILING
    launch = _launch(client, patient_id="p-7")

    with caplog.at_level(logging.WARNING):
        response = client.get(f"/chart/{launch.pk}/")

    assert response.status_code == 200
    assert "Follow-up status unavailable just now." in _section_html(response)
    assert 'id="allergies"' in response.content.decode()  # the rest of the chart is there
    assert "Secretname" not in caplog.text and "RuntimeError" in caplog.text
    event = AuditEvent.objects.get(action="chart.section")
    assert event.outcome == "failed" and as_fhir_audit_event(event)["outcome"] == "8"


def test_the_patients_own_view_has_no_follow_up_section(client):
    launch = _launch(client, patient_id="p-7", persona="patient")
    _referral("p-7")

    page = client.get(f"/me/{launch.pk}/").content.decode()

    assert SECTION not in page and "Cardiology" not in page
    assert not AuditEvent.objects.filter(action="chart.section").exists()


def test_the_provider_reads_one_query_and_keeps_open_items_first_past_its_limit(django_assert_num_queries):
    from smartapp.referrals.chart_section import LIMIT, follow_up_section

    today = timezone.localdate()
    for _ in range(LIMIT):
        _referral("p-7", state="completed", specialty_display="Old")
    _referral("p-7", specialty_display="Cardiology", snoozed_until=today + timedelta(days=5))
    _referral("p-7", specialty_display="Neurology", snoozed_until=today - timedelta(days=1))

    with django_assert_num_queries(1):
        section = follow_up_section(connection="sandbox", patient_id="p-7", today=today)

    assert [row.label for row in section.open] == ["Cardiology", "Neurology"]
    assert section.open[0].snoozed_until == today + timedelta(days=5)
    assert section.open[1].snoozed_until is None  # a snooze that has ended is not mentioned
    assert len(section.closed) == LIMIT - 2 and section.shown == LIMIT
    assert section.resource_types == ("ServiceRequest",)


def test_a_done_item_is_never_counted_overdue():
    from smartapp.referrals.chart_section import follow_up_section

    _referral("p-7", state="completed", due_in=-30)
    _referral("p-7", state="overdue", due_in=-30, closed_reason="care_elsewhere")

    section = follow_up_section(connection="sandbox", patient_id="p-7", today=timezone.localdate())

    assert not section.open
    assert [row.days_overdue for row in section.closed] == [None, None]
    assert not any(row.urgent for row in section.closed)
