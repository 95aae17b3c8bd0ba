"""The sync over per-patient searches of a panel (ehr/population/per_patient.py), end to end through the
store: resumable at any patient, watermarks at the walk's start, the panel from a Group or the tracked
patients; and a patient's own sync under such a vendor."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals.models import Referral
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from tests.ehr.bulk_fakes import BASE, Reply, bundle, fhir
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
GROUP = f"{BASE}/Group/panel-1"
STARTED = datetime(2026, 12, 1, 9, tzinfo=UTC)  # the server's time on the walk's first Bundle
PATIENTS = ("p-1", "p-2", "p-3")


def of_patient(resource_type: str, patient: str) -> list[dict]:
    """What the fake EHR holds: a referral and its task per patient, changed after the walk started."""
    changed = "2026-12-01T09:30:00Z"
    if resource_type == "ServiceRequest":
        sr = resources.service_request(f"sr-{patient}", subject={"reference": f"Patient/{patient}"})
        return [{**sr, "meta": {"versionId": "1", "lastUpdated": changed}}]
    if resource_type == "Task":
        task = resources.task(f"t-{patient}", f"sr-{patient}", updated=changed)
        return [{**task, "for": {"reference": f"Patient/{patient}"}}]
    return []


def searched(url: str) -> Reply:
    resource_type = urlsplit(url).path.rsplit("/", 1)[1]
    patient = parse_qs(urlsplit(url).query)["patient"][0]
    return bundle(of_patient(resource_type, patient), server_time="2026-12-01T09:00:00Z")


@pytest.fixture
def ehr(connect, session):
    connect("per_patient")
    members = [{"entity": {"reference": f"Patient/{patient}"}} for patient in reversed(PATIENTS)]
    session.answer("GET", GROUP, fhir({"resourceType": "Group", "id": "panel-1", "member": members}))
    for resource_type in SYNC_TYPES:
        session.answer("GET", f"{BASE}/{resource_type}", searched)
    return session


def searches(session) -> list[tuple[str, str]]:
    found = []
    for url in session.urls():
        query = parse_qs(urlsplit(url).query)
        if "patient" in query:
            found.append((query["patient"][0], urlsplit(url).path.rsplit("/", 1)[1]))
    return found


def test_a_group_panel_is_synced_patient_by_patient(ehr):
    report = referral_sync(connection=CONNECTION)

    referrals, evidence = stored()
    assert [ref for ref, *_ in referrals] == [f"ServiceRequest/sr-{p}" for p in PATIENTS]
    assert [(ref, target) for _, ref, target, _ in evidence] == [
        (f"Task/t-{p}", f"ServiceRequest/sr-{p}") for p in PATIENTS
    ]
    assert searches(ehr) == [(p, t) for p in PATIENTS for t in SYNC_TYPES]
    assert watermarks() == dict.fromkeys(SYNC_TYPES, STARTED)  # the walk's start, not 09:30
    assert resume_point() == {}
    assert report.requests == len(ehr.sent) == 1 + len(PATIENTS) * len(SYNC_TYPES)
    assert [r.pages for r in report.types] == [len(PATIENTS)] * len(SYNC_TYPES)


def test_the_next_walk_reads_from_the_last_walks_start_so_changes_made_during_it_are_read(ehr):
    referral_sync(connection=CONNECTION)
    ehr.sent.clear()

    again = referral_sync(connection=CONNECTION)

    lower = {
        parse_qs(urlsplit(url).query).get("_lastUpdated", [""])[0] for url in ehr.urls() if "patient=" in url
    }
    assert lower == {"ge2026-12-01T08:55:00Z"}  # 09:00 less the overlap: the 09:30 changes come again
    assert (again.total("created"), again.total("updated")) == (0, 0)


def test_a_failure_at_patient_k_resumes_there_without_reading_the_others_again(ehr):
    failing = {"count": 0}

    def task_search(url):
        if "p-2" in url and not failing["count"]:
            failing["count"] += 1
            return Reply(503)
        return searched(url)

    ehr.answer("GET", f"{BASE}/Task", task_search)

    with pytest.raises(EhrUnavailable):
        referral_sync(connection=CONNECTION)
    assert {key: resume_point()[key] for key in ("patient", "type", "next")} == {
        "patient": "p-2",
        "type": "ServiceRequest",
        "next": "",
    }
    assert watermarks() == {}
    first_run = len(searches(ehr))

    referral_sync(connection=CONNECTION)

    assert searches(ehr)[first_run] == ("p-2", "Task")
    assert ("p-1", "ServiceRequest") not in searches(ehr)[first_run:]
    assert Referral.objects.count() == len(PATIENTS) and watermarks() == dict.fromkeys(SYNC_TYPES, STARTED)


def test_a_database_error_reads_that_patients_page_again(ehr, monkeypatch):
    from django.db import OperationalError

    pages = counting_store(
        monkeypatch, fail_on=6, error=OperationalError("server closed the connection")
    )  # p-2 SR

    with pytest.raises(OperationalError):
        referral_sync(connection=CONNECTION)
    referral_sync(connection=CONNECTION)

    stored_pages = [ids for ids in pages if ids]
    assert stored_pages == [["sr-p-1"], ["t-p-1"], ["sr-p-2"], ["sr-p-2"], ["t-p-2"], ["sr-p-3"], ["t-p-3"]]


def test_without_a_group_the_panel_is_the_patients_already_tracked(connect, session):
    connect("per_patient", group_id="")
    for resource_type in SYNC_TYPES:
        session.answer("GET", f"{BASE}/{resource_type}", searched)
    Referral.objects.create(
        connection=CONNECTION, fhir_ref="ServiceRequest/sr-p-2", patient_ref="Patient/p-2"
    )
    Referral.objects.create(connection="other", fhir_ref="ServiceRequest/sr-p-9", patient_ref="Patient/p-9")

    referral_sync(connection=CONNECTION)

    assert GROUP not in session.urls()
    assert {patient for patient, _ in searches(session)} == {"p-2"}
    assert Referral.objects.get(fhir_ref="ServiceRequest/sr-p-2").version_id == "1"


def test_a_patients_own_sync_moves_no_watermark_and_keeps_the_walks_resume_point(ehr):
    with pytest.raises(EhrUnavailable):
        ehr.answer("GET", f"{BASE}/Task", Reply(503))
        referral_sync(connection=CONNECTION)
    left = resume_point()
    for resource_type in SYNC_TYPES:
        ehr.answer("GET", f"{BASE}/{resource_type}", searched)

    report = referral_sync(connection=CONNECTION, patient="p-3")

    assert report.one_patient and Referral.objects.filter(patient_ref="Patient/p-3").exists()
    assert watermarks() == {} and resume_point() == left
