"""The referral sync against the seeded sandbox EHR over HTTP: states, incremental runs, faults, resuming."""

from pathlib import Path

import pytest
import requests
from django.utils import timezone

from smartapp.audit.models import AuditEvent
from smartapp.ehr.errors import EhrUnavailable
from smartapp.launch.models import Grant
from smartapp.referrals import sync
from smartapp.referrals.models import Referral, SyncClaim, SyncWatermark
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from smartapp.sandbox import faults
from smartapp.sandbox.auth import clients
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import sandbox_sign_in, standalone_launch
from tests.referrals.sync_support import (
    BACKEND,
    EXPECTED,
    PAGE_SIZE,
    duplicates,
    ehr_fixture,  # noqa: F401 (the `ehr` fixture)
    newest_seeded,
    seeded_count,
    seeded_states,
    stored,
    watermarks,
)


def test_a_full_sync_gives_each_seeded_referral_its_follow_up_state(ehr):
    report = referral_sync(connection="sandbox")

    assert seeded_states() == EXPECTED
    assert not report.busy and report.total("skipped") == 0
    assert [r.resource_type for r in report.types] == list(SYNC_TYPES)
    documents = report.types[-1]
    assert documents.pages == -(-seeded_count("DocumentReference") // PAGE_SIZE)  # paged to the end
    stay = Referral.objects.get(fhir_ref=f"Encounter/{catalog.INPATIENT_ENCOUNTER_ID}")
    assert stay.kind == "discharge"
    assert Referral.objects.exclude(patient_display="").count() == Referral.objects.count()  # _include
    assert not Referral.objects.filter(patient_mrn="").exists()  # the included Patient's MR identifier
    referrals = Referral.objects.filter(kind="referral")
    assert not referrals.filter(requester_display="").exists()  # _include=ServiceRequest:requester
    assert not referrals.filter(requester_display__startswith="Practitioner/").exists()
    assert all(mark[0] is not None and mark[1:] == ("", None) for mark in watermarks().values())
    assert sum(report.states.values()) == Referral.objects.count()
    assert SyncClaim.objects.get(connection="sandbox").finished_at is not None


def test_a_second_run_with_nothing_changed_makes_only_the_watermark_queries(ehr):
    referral_sync(connection="sandbox")
    before = stored()

    again = referral_sync(connection="sandbox")

    assert again.requests == len(SYNC_TYPES)  # one page per type: the newest resource, in the overlap
    assert (again.total("created"), again.total("updated")) == (0, 0)
    assert stored() == before
    assert duplicates() == []


def test_a_503_mid_paging_is_resumed_at_the_stored_next_page(ehr):
    def outage_after_page_two(resource_type, report):
        if resource_type == "DocumentReference" and report.pages == 2:
            # three answers: the outgoing session retries a 503 twice by itself
            faults.switch_on(faults.FHIR_503, "0", client_id=BACKEND, remaining=3)

    with pytest.raises(EhrUnavailable):
        referral_sync(connection="sandbox", on_page=outage_after_page_two)
    last_updated, next_url, walk_newest = watermarks()["DocumentReference"]
    assert next_url and walk_newest is not None
    assert last_updated is None  # the sandbox's pages are not sorted by _lastUpdated: no watermark mid-walk

    resumed = referral_sync(connection="sandbox")

    documents = next(r for r in resumed.types if r.resource_type == "DocumentReference")
    assert documents.resumed and documents.pages == -(-seeded_count("DocumentReference") // PAGE_SIZE) - 2
    assert watermarks()["DocumentReference"] == (newest_seeded("DocumentReference"), "", None)
    assert seeded_states() == EXPECTED
    assert duplicates() == []


def test_a_429_storm_ends_in_a_complete_sync(ehr):
    from smartapp.referrals.tasks import sync_connection

    faults.switch_on(faults.FHIR_429, "0", client_id=BACKEND, remaining=7)  # 3 attempts of 3 requests

    result = sync_connection.apply(args=["sandbox"])  # eager: the task's retries run at once

    assert result.successful(), result.result
    assert not faults.Fault.objects.exists()  # the storm was used up
    runs = AuditEvent.objects.filter(action="referrals.sync").order_by("seq")
    assert [(e.outcome, e.detail.get("error_class")) for e in runs] == [
        ("failed", "EhrUnavailable"),
        ("failed", "EhrUnavailable"),
        ("complete", None),
    ]
    assert seeded_states() == EXPECTED
    assert duplicates() == []


def test_a_database_error_on_one_page_loses_nothing_after_the_retry(ehr, monkeypatch):
    from django.db import OperationalError

    from smartapp.referrals.tasks import sync_connection

    pages = []  # the first document of each page of notes stored (or tried)
    real_store = sync.referral_page_store

    def store_failing_once(**kwargs):
        if kwargs["resource_type"] == "DocumentReference":
            pages.append(kwargs["resources"][0]["id"])
            if len(pages) == 3:
                raise OperationalError("server closed the connection unexpectedly")
        return real_store(**kwargs)

    monkeypatch.setattr(sync, "referral_page_store", store_failing_once)

    result = sync_connection.apply(args=["sandbox"])

    assert result.successful(), result.result
    assert pages[3] == pages[2]  # the retry resumed at the page that failed ...
    assert len(set(pages)) == len(pages) - 1 == -(-seeded_count("DocumentReference") // PAGE_SIZE)
    assert seeded_states() == EXPECTED
    assert duplicates() == []


def test_an_expired_resume_point_starts_the_search_again(ehr):
    referral_sync(connection="sandbox")
    refused = f"{ehr.issuer}/Task?_count={PAGE_SIZE}&_page_token=not-a-token"  # the sandbox answers 400
    walks = {"Task": {"next": refused, "newest": None}}
    SyncClaim.objects.filter(connection="sandbox").update(
        resume={"strategy": "system_search", "walks": walks}
    )

    report = referral_sync(connection="sandbox")

    assert next(r for r in report.types if r.resource_type == "Task").pages == 1
    assert watermarks()["Task"][1] == ""
    assert duplicates() == []


def test_a_patient_sync_reads_that_patient_only_and_moves_no_watermark(ehr):
    report = referral_sync(connection="sandbox", patient=catalog.REFERRAL_PATIENT_ID)

    assert seeded_states() == EXPECTED
    assert set(Referral.objects.values_list("patient_ref", flat=True)) == {
        f"Patient/{catalog.REFERRAL_PATIENT_ID}"
    }
    assert report.one_patient and sum(report.states.values()) == Referral.objects.count()
    assert not SyncWatermark.objects.exclude(last_updated=None).exists()
    assert SyncClaim.objects.get(connection="sandbox").finished_at is None  # not a complete connection run


def test_without_a_backend_client_a_coordinators_offline_grant_is_used(ehr, live_server, settings, tmp_path):
    config = (Path(settings.BASE_DIR) / "launch_configs" / "sandbox.toml").read_text()
    (tmp_path / "sandbox.toml").write_text(config.split("[backend]")[0])
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    clients.register_default_app([live_server.url])
    with requests.Session() as browser:
        sandbox_sign_in(browser, live_server.url, f"Practitioner/{catalog.COORDINATOR_ID}")
        standalone_launch(browser, live_server.url, "coordinator", allow_redirects=True)
    grant = Grant.objects.get(launch__persona="coordinator")
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now())  # refreshed before use

    referral_sync(connection="sandbox")

    assert seeded_states() == EXPECTED
    assert Grant.objects.get(pk=grant.pk).refreshed_at is not None
