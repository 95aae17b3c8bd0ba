"""The worklist as CSV: the current filters, every page, streamed, audited, safe in a spreadsheet."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from smartapp.audit.models import AuditEvent
from smartapp.referrals.export import csv_cell

from . import dashboard

pytestmark = pytest.mark.django_db


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
    assert rows[0]["referral"] == overdue[-1].fhir_ref and rows[-1]["referral"] == pending.fhir_ref
    first = next(r for r in rows if r["referral"] == overdue[0].fhir_ref)
    assert (first["days overdue"], first["state"], first["last outreach contacted"]) == (
        "1",
        "overdue",
        "yes",
    )
    assert first["patient id"] == overdue[0].patient_ref.partition("/")[2]
    assert first["due"] == dashboard.day(-1).isoformat()


def test_it_exports_the_current_filter_only(client, coordinator):
    dashboard.referral(state="overdue", due_in_days=-1)
    gastro = dashboard.referral(
        state="overdue", specialty_code="394584008", specialty_display="Gastroenterology"
    )
    _, rows = _export(client, "?specialty=394584008")
    assert [r["referral"] for r in rows] == [gastro.fhir_ref]


def test_cells_a_spreadsheet_would_evaluate_are_quoted(client, coordinator):
    dashboard.referral(
        patient_display='=HYPERLINK("http://x")', reason="+1 cmd", specialty_display="@SUM(A1)"
    )
    dashboard.referral(patient_display="-2+3", reason="\tTabbed")

    _, rows = _export(client)

    values = {v for r in rows for v in (r["patient"], r["reason"], r["specialty"])}
    assert {'\'=HYPERLINK("http://x")', "'+1 cmd", "'@SUM(A1)", "'-2+3", "'\tTabbed"} <= values
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
