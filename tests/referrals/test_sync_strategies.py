"""The sync over a Bulk Data export (ehr/population/bulk.py), end to end through the store: every step can
fail and the next run resumes there, never starting a second job, skipping or doubling a resource."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import OperationalError

from smartapp.audit.models import AuditEvent
from smartapp.ehr.errors import EhrBadResponse, EhrUnavailable
from smartapp.ehr.population import PopulationPending, bulk
from smartapp.referrals.models import Referral, SyncClaim
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from tests.ehr.bulk_fakes import BASE, Reply, fhir, ndjson, outcome
from tests.referrals import fhir as resources
from tests.referrals.strategy_support import (
    CONNECTION,
    connect_fixture,  # noqa: F401 (the `connect` fixture)
    counting_store,
    resume_point,
    session_fixture,  # noqa: F401 (the `session` fixture)
    stored,
    watermarks,
)

pytestmark = pytest.mark.django_db
KICK_OFF = f"{BASE}/Group/panel-1/$export"
STATUS = f"{BASE}/bulkstatus/job-1"
DONE = datetime(2026, 12, 1, 10, tzinfo=UTC)
REFERRALS = [
    resources.service_request("sr-1"),
    resources.service_request("sr-2", subject={"reference": "Patient/p-2"}),
    resources.service_request("sr-3"),
]
TASKS = [resources.task("t-1", "sr-1"), resources.task("t-2", "sr-2")]
PATIENTS = [resources.patient("p-1", "Ada Lovelace"), resources.patient("p-2", "Alan Turing")]


def file_url(name: str) -> str:
    return f"{BASE}/bulkfiles/job-1/{name}.ndjson"


def manifest() -> Reply:
    files = [("Patient", "patients"), ("ServiceRequest", "referrals"), ("Task", "tasks")]
    output = [{"type": resource_type, "url": file_url(name)} for resource_type, name in files]
    return fhir({"transactionTime": DONE.isoformat(), "requiresAccessToken": True, "output": output})


@pytest.fixture
def ehr(connect, session, monkeypatch):
    """A Bulk Data EHR whose export job is ready at the first poll; nothing sleeps."""
    monkeypatch.setattr(bulk, "sleep", lambda seconds: None)
    connect("bulk_export", bulk_params=("_type", "_since", "_typeFilter"))
    session.answer("GET", KICK_OFF, Reply(202, headers={"Content-Location": STATUS}))
    session.answer("GET", STATUS, manifest())
    session.answer("GET", file_url("referrals"), ndjson(REFERRALS))
    session.answer("GET", file_url("tasks"), ndjson(TASKS))
    session.answer("GET", file_url("patients"), ndjson(PATIENTS))
    session.answer("DELETE", STATUS, Reply(202))
    return session


def kick_offs(session) -> list[str]:
    return [url for url in session.urls() if url.startswith(KICK_OFF)]


def test_an_export_is_stored_with_names_watermarks_and_the_job_deleted(ehr):
    report = referral_sync(connection=CONNECTION)

    referrals, evidence = stored()
    assert [(ref, patient, name) for ref, _, patient, name in referrals] == [
        ("ServiceRequest/sr-1", "Patient/p-1", "Ada Lovelace"),
        ("ServiceRequest/sr-2", "Patient/p-2", "Alan Turing"),  # the Patients' file came after theirs
        ("ServiceRequest/sr-3", "Patient/p-1", "Ada Lovelace"),
    ]
    assert {(fhir_ref, target) for _, fhir_ref, target, _ in evidence} == {
        ("Task/t-1", "ServiceRequest/sr-1"),
        ("Task/t-2", "ServiceRequest/sr-2"),
    }
    assert watermarks() == dict.fromkeys(SYNC_TYPES, DONE)
    assert resume_point() == {}
    assert ehr.urls("DELETE") == [STATUS]
    assert [(r.resource_type, r.pages) for r in report.types if r.pages] == [
        ("ServiceRequest", 2),
        ("Task", 1),
        ("Patient", 1),
    ]
    assert report.total("created") == 5 and report.requests == len(ehr.sent)
    assert SyncClaim.objects.get(connection=CONNECTION).finished_at is not None


def test_an_exports_patient_facts_are_stamped_with_its_transaction_time_not_the_download(ehr):
    # The files describe the EHR at transactionTime, however long after it they are read: an ADT update
    # sent between the two is newer than what the export says (adt/visits.py compares with this stamp).
    referral_sync(connection=CONNECTION)
    assert set(Referral.objects.values_list("patient_facts_at", flat=True)) == {DONE}


def test_the_next_run_exports_what_changed_since_the_last_exports_time(ehr):
    referral_sync(connection=CONNECTION)
    before, ehr.sent[:] = stored(), []

    again = referral_sync(connection=CONNECTION)

    assert parse_qs(urlsplit(kick_offs(ehr)[0]).query)["_since"] == ["2026-12-01T09:55:00Z"]
    assert (again.total("created"), again.total("updated"), stored()) == (0, 0, before)


def test_a_failed_kick_off_stores_nothing_and_the_next_run_starts_the_job(ehr):
    ehr.answer("GET", KICK_OFF, Reply(503), Reply(202, headers={"Content-Location": STATUS}))

    with pytest.raises(EhrUnavailable):
        referral_sync(connection=CONNECTION)
    assert resume_point() == {} and not Referral.objects.exists()

    referral_sync(connection=CONNECTION)

    assert Referral.objects.count() == 3 and watermarks()["Task"] == DONE


def test_a_failed_poll_resumes_at_the_stored_job_without_a_second_kick_off(ehr):
    ehr.answer("GET", STATUS, Reply(503), manifest())

    with pytest.raises(EhrUnavailable):
        referral_sync(connection=CONNECTION)
    assert resume_point() == {"strategy": "bulk_export", "status": STATUS, "file": 0, "line": 0}

    referral_sync(connection=CONNECTION)

    assert len(kick_offs(ehr)) == 1
    assert Referral.objects.count() == 3 and resume_point() == {}


def test_a_file_cut_at_line_n_resumes_at_that_line(ehr, settings, monkeypatch):
    settings.REFERRAL_SYNC_PAGE_SIZE = 1
    first_line = json.dumps(TASKS[0]).encode() + b"\n"
    cut = Reply(200, iter([first_line, requests.exceptions.ChunkedEncodingError("connection reset")]))
    ehr.answer("GET", file_url("tasks"), cut, ndjson(TASKS))
    pages = counting_store(monkeypatch)

    with pytest.raises(EhrUnavailable):
        referral_sync(connection=CONNECTION)
    assert resume_point()["file"] == 1 and resume_point()["line"] == 1

    referral_sync(connection=CONNECTION)

    assert pages == [
        ["sr-1"],
        ["sr-2"],
        ["sr-3"],
        ["t-1"],
        ["t-2"],
        ["p-1"],
        ["p-2"],
    ]  # none twice, none lost
    assert len(kick_offs(ehr)) == 1 and len(stored()[1]) == 2


def test_a_database_error_on_a_page_reads_that_page_again(ehr, monkeypatch):
    pages = counting_store(monkeypatch, fail_on=2, error=OperationalError("server closed the connection"))

    with pytest.raises(OperationalError):
        referral_sync(connection=CONNECTION)
    assert resume_point()["line"] == 2  # the failed page's resume point was rolled back with it

    referral_sync(connection=CONNECTION)

    assert pages == [["sr-1", "sr-2"], ["sr-3"], ["sr-3"], ["t-1", "t-2"], ["p-1", "p-2"]]
    assert Referral.objects.count() == 3 and len(kick_offs(ehr)) == 1


def test_a_long_retry_after_ends_the_run_pending_and_the_next_run_picks_the_job_up(ehr):
    ehr.answer("GET", STATUS, Reply(202, headers={"Retry-After": "600"}), manifest())

    with pytest.raises(PopulationPending) as raised:
        referral_sync(connection=CONNECTION)

    assert raised.value.retry_after == 600  # the task's countdown (tasks.SyncTask.retry)
    claim = SyncClaim.objects.get(connection=CONNECTION)
    assert claim.failed_at is None and claim.resume["status"] == STATUS  # waiting is not failing
    assert AuditEvent.objects.filter(action="referrals.sync").latest("seq").outcome == "pending"

    referral_sync(connection=CONNECTION)

    assert len(kick_offs(ehr)) == 1 and Referral.objects.count() == 3


def test_a_retry_after_within_the_runs_budget_is_slept_in_process(ehr, monkeypatch):
    slept = []
    monkeypatch.setattr(bulk, "sleep", slept.append)
    ehr.answer(
        "GET",
        STATUS,
        Reply(202, headers={"Retry-After": "5"}),
        Reply(202, headers={"Retry-After": "7"}),
        manifest(),
    )

    referral_sync(connection=CONNECTION)

    assert slept == [5.0, 7.0] and Referral.objects.count() == 3


def test_a_429_at_kick_off_means_a_job_runs_already(ehr):
    ehr.answer("GET", KICK_OFF, Reply(429, headers={"Retry-After": "300"}))

    with pytest.raises(EhrUnavailable) as raised:
        referral_sync(connection=CONNECTION)

    assert raised.value.retry_after == 300 and resume_point() == {}


@pytest.mark.parametrize(
    "where, failure",
    [("status", outcome("exception", 500)), ("file", Reply(404)), ("file", Reply(410))],
    ids=["failed-job", "expired-file-404", "expired-file-410"],
)
def test_a_failed_job_or_an_expired_file_starts_a_new_job_next_run(ehr, where, failure):
    url = STATUS if where == "status" else file_url("tasks")
    ehr.answer("GET", url, failure, ndjson(TASKS) if where == "file" else manifest())

    with pytest.raises(EhrUnavailable):
        referral_sync(connection=CONNECTION)
    assert resume_point() == {}
    assert watermarks() == {}  # nothing earned: the next job exports from the same watermarks

    referral_sync(connection=CONNECTION)

    assert len(kick_offs(ehr)) == 2 and Referral.objects.count() == 3
    assert watermarks() == dict.fromkeys(SYNC_TYPES, DONE)


def test_a_file_off_the_fhir_base_is_refused_and_never_fetched(ehr):
    foreign = "https://files.example.net/job-1/referrals.ndjson"
    body = {
        "transactionTime": DONE.isoformat(),
        "requiresAccessToken": False,
        "output": [{"type": "Task", "url": foreign}],
    }
    ehr.answer("GET", STATUS, fhir(body))

    with pytest.raises(EhrBadResponse):
        referral_sync(connection=CONNECTION)

    assert foreign not in ehr.urls() and not Referral.objects.exists()
