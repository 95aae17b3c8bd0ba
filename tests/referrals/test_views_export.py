"""The worklist as CSV: the current filters, every page, streamed, audited, safe in a spreadsheet."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.test import override_settings

from smartapp.audit.models import AuditEvent
from smartapp.referrals.export import csv_cell
from smartapp.referrals.models import OutreachNote

from . import dashboard

pytestmark = pytest.mark.django_db
REF = "Referral id (FHIR)"


@pytest.fixture
def coordinator(client):
    return dashboard.signed_in(client)


def _export(client, query: str = "") -> tuple[StreamingHttpResponse, list[dict]]:
    response = client.get(f"/referrals/export.csv{query}")
    text = b"".join(response.streaming_content).decode()
    return response, list(csv.DictReader(io.StringIO(text)))


def test_it_streams_every_row_of_the_filter_in_worklist_order(client, coordinator):
    pending = dashboard.referral(state="pending", due_in_days=5)
    overdue = [dashboard.referral(state="overdue", due_in_days=-1 - n) for n in range(60)]
    dashboard.outreach(overdue[0], contacted=True)

    response, rows = _export(client)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="worklist-')
    assert "no-store" in response["Cache-Control"]
    assert len(rows) == 61  # not just the first page
    assert rows[0][REF] == overdue[-1].fhir_ref and rows[-1][REF] == pending.fhir_ref
    first = next(r for r in rows if r[REF] == overdue[0].fhir_ref)
    assert (first["Days overdue"], first["Follow-up state"], first["Last outreach reached the patient"]) == (
        "1",
        "Overdue",
        "yes",
    )
    assert first["Patient id (FHIR)"] == overdue[0].patient_ref.partition("/")[2]
    assert first["Due (ISO)"] == dashboard.day(-1).isoformat()


def test_it_exports_the_current_filter_only(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    gastro = dashboard.referral(
        state="overdue", specialty_code="394584008", specialty_display="Gastroenterology"
    )
    _, rows = _export(client, "?specialty=394584008")
    assert [r[REF] for r in rows] == [gastro.fhir_ref]


def test_cells_a_spreadsheet_would_evaluate_are_quoted(client, coordinator):
    dashboard.referral(
        patient_display='=HYPERLINK("http://x")',
        reason="+1 cmd",
        specialty_display="@SUM(A1)",
        requester_display="=cmd|' /C calc'!A0",
    )
    dashboard.referral(patient_display="-2+3", reason="\tTabbed", performer_display="@Dr Who")

    _, rows = _export(client)

    columns = ("Patient", "Reason", "Specialty", "Requester", "Performer")
    values = {r[column] for r in rows for column in columns}
    assert {'\'=HYPERLINK("http://x")', "'+1 cmd", "'@SUM(A1)", "'-2+3", "'\tTabbed"} <= values
    assert {"'=cmd|' /C calc'!A0", "'@Dr Who"} <= values
    assert not any(v[:1] in "=+-@\t" for r in rows for v in r.values() if v)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("plain", "plain"), (None, ""), (3, "3"), ("a=b", "a=b"), ("\r=x", "'\r=x")],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_an_export_is_audited_with_the_filter_and_row_count(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    dashboard.referral(state="pending")
    _export(client, "?state=overdue")
    event = AuditEvent.objects.get(action="referrals.export")
    assert (event.outcome, event.detail, event.launch_id) == (
        "streamed",
        {"state": "overdue", "rows": 1},
        str(coordinator.pk),
    )


def test_the_header_names_columns_for_people_and_puts_the_ids_last(client, coordinator):
    response = client.get("/referrals/export.csv")
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header[:5] == ["Patient", "MRN", "Date of birth", "Date of birth (ISO)", "Phone"]
    assert {"Requester", "Performer", "Owner", "Next action", "Work status"} <= set(header)
    assert header[-4:] == [
        "Patient id (FHIR)",
        "Referral id (FHIR)",
        "Requester id (FHIR)",
        "Performer id (FHIR)",
    ]


def test_a_row_has_names_mrn_birth_date_phone_and_spelled_dates_next_to_iso(client, coordinator):
    dashboard.referral(
        patient_display="Ann Ode",
        patient_mrn="MRN-0077",
        patient_birth_date=date(1956, 5, 7),
        patient_phone="555-0101",
        requester_display="Ada Heart, MD",
        performer_display="Bo Lung, DO",
        authored_on=date(2026, 11, 20),
        due_date=date(2026, 12, 4),
    )

    _, [row] = _export(client)

    assert (row["Patient"], row["MRN"], row["Phone"]) == ("Ann Ode", "MRN-0077", "555-0101")
    assert (row["Date of birth"], row["Date of birth (ISO)"]) == ("7 May 1956", "1956-05-07")
    assert (row["Requester"], row["Requester id (FHIR)"]) == ("Ada Heart, MD", "Practitioner/pcp-1")
    assert (row["Performer"], row["Performer id (FHIR)"]) == ("Bo Lung, DO", "Practitioner/spec-1")
    assert (row["Referred or discharged"], row["Referred or discharged (ISO)"]) == (
        "20 Nov 2026",
        "2026-11-20",
    )
    assert (row["Due"], row["Due (ISO)"], row["Kind"]) == ("4 Dec 2026", "2026-12-04", "Referral")


@override_settings(TIME_ZONE="America/New_York")
def test_times_are_in_the_configured_zone_with_its_abbreviation_to_the_second(client, coordinator):
    row = dashboard.referral(last_evidence_at=datetime(2026, 12, 4, 23, 14, 16, 95317, tzinfo=UTC))
    note = dashboard.outreach(row, contacted=False)
    OutreachNote.objects.filter(pk=note.pk).update(created_at=datetime(2026, 7, 1, 12, 0, 5, 1, tzinfo=UTC))

    _, [exported] = _export(client)

    assert exported["Last evidence"] == "4 Dec 2026, 18:14 EST"  # the evening before, in New York
    assert exported["Last evidence (ISO)"] == "2026-12-04T18:14:16-05:00"
    assert (exported["Last outreach"], exported["Last outreach (ISO)"]) == (
        "1 Jul 2026, 08:00 EDT",
        "2026-07-01T08:00:05-04:00",
    )
    assert exported["Last outreach reached the patient"] == "no"


def test_the_work_status_says_open_snoozed_or_closed_with_the_reason(client, coordinator):
    today = dashboard.day(0)
    dashboard.referral(state="overdue", due_in_days=-3)
    dashboard.referral(state="overdue", due_in_days=-2, snoozed_until=today + timedelta(days=5))
    dashboard.referral(state="overdue", due_in_days=-1, snoozed_until=today)  # woke up today
    dashboard.referral(state="pending", closed_reason="other", closed_note="moved abroad")
    dashboard.referral(state="pending", closed_reason="declined")

    _, rows = _export(client, "?show=all")

    until = today + timedelta(days=5)
    assert sorted(r["Work status"] for r in rows) == [
        "Closed: Other (moved abroad)",
        "Closed: Patient declined",
        "Open",
        "Open",
        f"Snoozed until {until.day} {until:%b} {until.year}",
    ]
