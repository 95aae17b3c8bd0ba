"""The auditor's page and exports: admin role only, filtered, paged newest first, every look audited."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from fhirclient.models.bundle import Bundle

from smartapp.audit.models import AuditEvent
from smartapp.audit.selectors import PAGE_SIZE
from smartapp.audit.services import audit_record

ISSUER = "https://ehr.example/fhir"


def _record(**values):
    defaults = {"action": "fhir.read", "outcome": "200", "issuer": ISSUER}
    return audit_record(**{**defaults, **values})


def _body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def _shown_seqs(response) -> list[int]:
    return [event.seq for event in response.context["page"].events]


@pytest.fixture
def clinician_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="clinician")
    user.groups.add(Group.objects.get_or_create(name="clinician")[0])
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv", "/audit/export.json"])
def test_anyone_but_an_auditor_gets_403_and_an_access_denied_event(db, client, clinician_client, url):
    for someone in (client, clinician_client):
        assert someone.get(url).status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied", outcome="not_auditor")
    assert denied.count() == 2
    assert denied.last().user_id is not None  # the clinician, named
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


def test_staff_need_the_view_permission(db, client, django_user_model):
    staff = django_user_model.objects.create_user(username="staff", is_staff=True)
    client.force_login(staff)
    assert client.get("/audit/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    staff = django_user_model.objects.get(pk=staff.pk)  # drop the cached permissions
    client.force_login(staff)
    assert client.get("/audit/").status_code == 200


def test_the_permission_without_staff_status_is_not_enough(db, client, django_user_model):
    user = django_user_model.objects.create_user(username="not-staff")
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(user)
    assert client.get("/audit/").status_code == 403


def test_an_auditor_sees_events_newest_first_and_the_look_is_audited(auditor_client, auditor):
    first, second = _record(patient_ref="p1"), _record(patient_ref="p2")
    response = auditor_client.get("/audit/")
    assert response.status_code == 200
    assert _shown_seqs(response)[-2:] == [second.seq, first.seq]
    assert "no-store" in response["Cache-Control"]
    assert b"p1" in response.content and b"p2" in response.content
    look = AuditEvent.objects.get(action="audit.view")
    assert look.user_id == auditor.pk and look.outcome == "viewed"


def test_it_filters_by_patient_in_either_recorded_form(auditor_client):
    bare, prefixed, _ = (
        _record(patient_ref="p1"),
        _record(patient_ref="Patient/p1"),
        _record(patient_ref="p2"),
    )
    for value in ("p1", "Patient/p1"):
        response = auditor_client.get("/audit/", {"patient": value})
        assert _shown_seqs(response) == [prefixed.seq, bare.seq]
    assert AuditEvent.objects.filter(action="audit.view").last().detail == {"patient": "Patient/p1"}


def test_it_filters_by_app_user_or_fhir_user(auditor_client):
    by_id = _record(user_id=41)
    by_reference = _record(fhir_user="Practitioner/pr9")
    absolute = _record(fhir_user=f"{ISSUER}/Practitioner/pr9")
    _record(user_id=42, fhir_user="Practitioner/pr1")
    assert _shown_seqs(auditor_client.get("/audit/", {"user": "41"})) == [by_id.seq]
    shown = _shown_seqs(auditor_client.get("/audit/", {"user": "Practitioner/pr9"}))
    assert shown == [absolute.seq, by_reference.seq]


def test_it_filters_by_action_or_action_prefix(auditor_client):
    read, search, _ = _record(action="fhir.read"), _record(action="fhir.search"), _record(action="logout")
    assert _shown_seqs(auditor_client.get("/audit/", {"action": "fhir.read"})) == [read.seq]
    assert _shown_seqs(auditor_client.get("/audit/", {"action": "fhir"})) == [search.seq, read.seq]


def test_it_filters_by_utc_date_range(auditor_client):
    stamps = [datetime(2026, 1, day, 23, 59, tzinfo=UTC) for day in (1, 2, 3)]
    events = []
    for stamp in stamps:
        with time_machine.travel(stamp, tick=False):
            events.append(_record(patient_ref="p-dated"))
    response = auditor_client.get(
        "/audit/", {"patient": "p-dated", "since": "2026-01-02", "until": "2026-01-02"}
    )
    assert _shown_seqs(response) == [events[1].seq]
    response = auditor_client.get("/audit/", {"patient": "p-dated", "since": "2026-01-02"})
    assert _shown_seqs(response) == [events[2].seq, events[1].seq]


def test_an_invalid_filter_is_shown_and_ignored(auditor_client):
    _record(patient_ref="p1")
    response = auditor_client.get("/audit/", {"patient": "<script>", "action": "fhir.read"})
    assert response.status_code == 200
    assert response.context["form"].errors["patient"]
    assert b"<script>" not in response.content


def test_it_pages_by_seq_older_and_newer(auditor_client):
    events = [_record(patient_ref="p-paged") for _ in range(PAGE_SIZE + 5)]
    newest = auditor_client.get("/audit/", {"patient": "p-paged"})
    page = newest.context["page"]
    assert _shown_seqs(newest) == [e.seq for e in reversed(events)][:PAGE_SIZE]
    assert page.newer is None and page.older == events[5].seq
    assert f"before={page.older}".encode() in newest.content
    older = auditor_client.get("/audit/", {"patient": "p-paged", "before": page.older})
    assert _shown_seqs(older) == [e.seq for e in reversed(events[:5])]
    assert older.context["page"].older is None and older.context["page"].newer == events[4].seq
    back = auditor_client.get("/audit/", {"patient": "p-paged", "after": events[4].seq})
    assert _shown_seqs(back) == _shown_seqs(newest)


def test_the_csv_export_streams_the_filtered_events_and_is_audited(auditor_client, auditor):
    wanted = [_record(patient_ref="p1")]
    _record(patient_ref="p2")
    response = auditor_client.get("/audit/export.csv", {"patient": "p1"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [int(row["seq"]) for row in rows] == [wanted[0].seq]
    assert rows[0]["mac"] == wanted[0].mac and rows[0]["patient_ref"] == "p1"
    export = AuditEvent.objects.get(action="audit.export")
    assert export.user_id == auditor.pk and export.detail == {"format": "csv", "patient": "p1"}


def test_the_csv_export_defuses_spreadsheet_formulas(auditor_client, rf):
    request = rf.get("/", HTTP_USER_AGENT='=HYPERLINK("http://evil")')
    _record(request=request, patient_ref="p-ua")
    rows = list(
        csv.DictReader(io.StringIO(_body(auditor_client.get("/audit/export.csv", {"patient": "p-ua"}))))
    )
    assert rows[0]["user_agent"].startswith("'=")


def test_exports_run_oldest_first_up_to_their_own_event(auditor_client):
    first, second = _record(), _record()
    rows = json.loads(_body(auditor_client.get("/audit/export.json")))
    seqs = [row["seq"] for row in rows]
    assert seqs == sorted(seqs) and seqs[:2] == [first.seq, second.seq]
    assert rows[-1]["action"] == "audit.export"  # the export is in what it exports
    assert rows[0]["prev_mac"] and rows[0]["mac"] == first.mac and rows[0]["detail"] == {}


def test_the_fhir_export_is_a_bundle_of_audit_events(auditor_client):
    _record(patient_ref="p1", fhir_user="Practitioner/pr1", resource_types=["Observation"])
    _record(action="logout", outcome="success", patient_ref="p1")
    response = auditor_client.get("/audit/export.json", {"patient": "p1", "format": "fhir"})
    assert response["Content-Type"] == "application/fhir+json"
    bundle = json.loads(_body(response))
    Bundle(bundle, strict=True)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert [r["type"]["code"] for r in resources] == ["rest", "110114"]
    assert all(r["entity"][0]["what"]["reference"] == f"{ISSUER}/Patient/p1" for r in resources)
    assert AuditEvent.objects.get(action="audit.export").detail["format"] == "fhir"


def test_an_empty_fhir_export_is_still_a_valid_bundle(auditor_client):
    bundle = json.loads(
        _body(auditor_client.get("/audit/export.json", {"patient": "nobody", "format": "fhir"}))
    )
    Bundle(bundle, strict=True)
    assert "entry" not in bundle  # FHIR JSON has no empty arrays
