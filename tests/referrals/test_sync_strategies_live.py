"""The sync over the live sandbox's Bulk Data `$export` (its Epic emulation), with the export faults it
injects: a slow job, a failed job, an expired file, a worker lost mid-file. Each next run resumes or starts
again as ehr/population/bulk.py says, and the panel ends stored once, every referral of it."""

import pytest

from smartapp.ehr.errors import EhrUnavailable
from smartapp.ehr.population import PopulationPending
from smartapp.referrals.models import SyncClaim, SyncWatermark
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from smartapp.sandbox import faults
from smartapp.sandbox.models import ExportJob
from tests.matrix import conftest as matrix_world
from tests.matrix.expected import kick_offs, referral_refs, stored_refs
from tests.matrix.registrations import PANEL, PANEL_GROUP
from tests.referrals.sync_support import duplicates

# The vendor matrix's world: the seeded sandbox on the live server, the registrations, the request recorder.
registered, traffic, world = matrix_world.registered, matrix_world.traffic, matrix_world.world


class WorkerLost(Exception):
    """Raised from on_page: the run stops right after a page was stored, as a killed worker would."""


@pytest.fixture
def epic(registered):
    return registered("epic")


def resume_point(registration) -> dict:
    return SyncClaim.objects.get(connection=registration.name).resume


def caught_up(registration) -> bool:
    marks = SyncWatermark.objects.filter(connection=registration.name, resource_type__in=SYNC_TYPES)
    moments = set(marks.exclude(last_updated=None).values_list("last_updated", flat=True))
    return len(moments) == 1 and marks.count() == len(SYNC_TYPES) and resume_point(registration) == {}


def jobs_started(registration, seen) -> int:
    return sum(
        1 for kick_off in kick_offs(seen, registration.fhir_path, PANEL_GROUP) if kick_off.status == 202
    )


def synced_once(registration) -> bool:
    return stored_refs(registration.name) == referral_refs(PANEL) and duplicates() == []


def test_a_slow_export_ends_the_run_pending_and_the_next_run_takes_the_same_job(epic, settings, traffic):
    settings.EHR_BULK_WAIT_SECONDS = 0
    faults.switch_on(faults.EXPORT_SLOW, "2", client_id=epic.backend_client_id)

    with traffic.watching() as seen:
        with pytest.raises(PopulationPending) as raised:
            referral_sync(connection=epic.name)
        assert raised.value.retry_after  # the status answer's Retry-After: the task's countdown
        assert resume_point(epic)["status"].startswith(epic.issuer)  # stored before the first poll
        assert SyncClaim.objects.get(connection=epic.name).failed_at is None  # waiting is not failing
        settings.EHR_BULK_WAIT_SECONDS = 10  # the job is ready within seconds now: waited for in-process

        referral_sync(connection=epic.name)

    assert jobs_started(epic, seen) == 1 and synced_once(epic) and caught_up(epic)
    assert not ExportJob.objects.exists()  # deleted once stored


def test_while_a_job_runs_oracle_refuses_another_and_the_stored_job_is_taken_up(
    registered, settings, traffic
):
    oracle = registered("oracle")
    settings.EHR_BULK_WAIT_SECONDS = 0
    # longer than the session's own retries of a 429 (two, each after at most 2 s)
    faults.switch_on(faults.EXPORT_SLOW, "6", client_id=oracle.backend_client_id)
    with pytest.raises(PopulationPending):
        referral_sync(connection=oracle.name)
    point = resume_point(oracle)
    SyncClaim.objects.filter(connection=oracle.name).update(resume={})  # as if the resume point were lost

    with traffic.watching() as refused, pytest.raises(EhrUnavailable) as raised:
        referral_sync(connection=oracle.name)

    assert [k.status for k in kick_offs(refused, oracle.fhir_path, PANEL_GROUP)] == [429] * 3  # with retries
    assert raised.value.retry_after and not stored_refs(oracle.name)
    SyncClaim.objects.filter(connection=oracle.name).update(resume=point)
    settings.EHR_BULK_WAIT_SECONDS = 10
    with traffic.watching() as again:
        referral_sync(connection=oracle.name)
    assert jobs_started(oracle, again) == 0 and caught_up(oracle)
    assert stored_refs(oracle.name) == referral_refs(PANEL) and duplicates() == []


# The sandbox consumes a counted export fault at the kick-off too (faults.active): an expired file needs two.
@pytest.mark.parametrize("fault, uses", [(faults.EXPORT_FAILED, 1), (faults.EXPORT_FILE_EXPIRED, 2)])
def test_a_failed_job_or_an_expired_file_is_exported_again_by_the_next_run(epic, traffic, fault, uses):
    faults.switch_on(fault, client_id=epic.backend_client_id, remaining=uses)

    with traffic.watching() as seen:
        with pytest.raises(EhrUnavailable):
            referral_sync(connection=epic.name)
        assert resume_point(epic) == {} and not ExportJob.objects.exists()  # dropped, and deleted
        assert not SyncWatermark.objects.exclude(last_updated=None).exists()

        referral_sync(connection=epic.name)

    assert jobs_started(epic, seen) == 2 and synced_once(epic) and caught_up(epic)


def test_a_worker_lost_mid_file_resumes_at_the_line_after_the_last_stored_page(epic, settings, traffic):
    settings.REFERRAL_SYNC_PAGE_SIZE = 2
    read = []

    def lost_after_three_pages(resource_type, report):
        read.append(resource_type)
        if len(read) == 3:
            raise WorkerLost()

    with traffic.watching() as seen:
        with pytest.raises(WorkerLost):
            referral_sync(connection=epic.name, on_page=lost_after_three_pages)
        point = resume_point(epic)
        assert point["file"] * 1000 + point["line"] > 0  # somewhere inside the export
        first_run = stored_refs(epic.name)

        resumed = referral_sync(connection=epic.name)

    assert jobs_started(epic, seen) == 1  # never a second job
    assert synced_once(epic) and caught_up(epic)
    assert first_run and resumed.total("unchanged") < len(first_run)  # what was stored was not read again
