"""Export jobs: kicked off, run in simulated time, completed on the first poll after they are ready, deleted.

Nothing runs in the background: a job is ready `seconds` after its kick-off, and the first status request
after that fixes its files (bulk/plan.py) with a conditional UPDATE (STYLE.md convention 3), so two polls
at once finish it once.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smartapp.sandbox.bearer import Bearer
from smartapp.sandbox.bulk.params import ExportRequest
from smartapp.sandbox.bulk.plan import plan_files
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import ExportJob, Resource
from smartapp.sandbox.store import parse_fhir_date
from smartapp.sandbox.synthetic.groups import group_members
from smartapp.sandbox.vendors import emulation_for

FAILED_MESSAGE = "The export failed (injected fault)"


@dataclass(frozen=True)
class Owner:
    """Whose jobs: one client at one FHIR base (vendor emulation and tenant)."""

    client_id: str
    vendor: str
    tenant: str

    def jobs(self):
        return ExportJob.objects.filter(client_id=self.client_id, vendor=self.vendor, tenant=self.tenant)


@dataclass(frozen=True)
class Kickoff:
    group_id: str
    asked: ExportRequest
    types: list[str]  # what the job exports: the asked types, or every type the token may read
    request_url: str  # the kick-off URL, echoed in the manifest's `request`
    base: str  # the FHIR base the job's URLs live under
    seconds: float  # how long the job takes
    fail: bool  # the job ends in error (the export_failed fault)


def export_start(*, owner: Owner, kickoff: Kickoff) -> ExportJob:
    """Create the job, or raise 404 (no such Group) or 429 (a job of this client is still running).

    One running job per client and tenant where the emulation says so (`Emulation.one_export_job`: Oracle
    Health's rule, and the plain sandbox's, so that the app meets the 429 in development too).
    """
    body = (
        Resource.objects.filter(resource_type="Group", fhir_id=kickoff.group_id).values_list("body").first()
    )
    if body is None:
        raise FhirError(404, f"Group/{kickoff.group_id} is not known")
    members = group_members(body[0])
    now = timezone.now()
    with transaction.atomic():
        running = owner.jobs().filter(status=ExportJob.Status.IN_PROGRESS, ready_at__gt=now)
        if not emulation_for(owner.vendor).one_export_job:
            running = running.none()
        if ready_at := running.order_by("-ready_at").values_list("ready_at", flat=True).first():
            wait = str(max(1, math.ceil((ready_at - now).total_seconds())))
            raise FhirError(429, "An export of this client is still running", headers={"Retry-After": wait})
        return ExportJob.objects.create(
            job_id=secrets.token_urlsafe(18),
            client_id=owner.client_id,
            vendor=owner.vendor,
            tenant=owner.tenant,
            group_id=kickoff.group_id,
            params=_params(kickoff, members),
            transaction_time=now,
            ready_at=now + timedelta(seconds=kickoff.seconds),
        )


def export_job(*, owner: Owner, job_id: str, bearer: Bearer) -> ExportJob:
    """The owner's job, finished first if it is ready; 404 for another client's job or a deleted one."""
    job = owner.jobs().filter(job_id=job_id).defer("output").first()  # output: loaded when used
    if job is None:
        raise FhirError(404, "No such export job")
    if job.status == ExportJob.Status.IN_PROGRESS and job.ready_at <= timezone.now():
        _finish(job, bearer)
        job.refresh_from_db()
    return job


def export_file(job: ExportJob, index: int) -> dict | None:
    """One entry of a finished job's files ({type, count, ids}), read alone: a manifest of a million ids
    is not loaded to serve ten thousand of them."""
    entry = ExportJob.objects.filter(pk=job.pk).values_list(f"output__{index}", flat=True).first()
    return entry if isinstance(entry, dict) else None


def export_delete(*, owner: Owner, job_id: str) -> None:
    """Cancel or remove the owner's job and its files; 404 when there is none."""
    if not owner.jobs().filter(job_id=job_id).delete()[0]:
        raise FhirError(404, "No such export job")


def _finish(job: ExportJob, bearer: Bearer) -> None:
    if job.params.get("fail"):
        done = {"status": ExportJob.Status.FAILED, "error": FAILED_MESSAGE}
    else:
        done = {"status": ExportJob.Status.COMPLETE, "output": plan_files(job, bearer)}
    # Another poll may have finished it meanwhile: its result stands.
    ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.IN_PROGRESS).update(**done)


def _params(kickoff: Kickoff, members: dict[str, str]) -> dict:
    """What the job needs later, frozen at its transactionTime: the Group's members among them."""
    since = kickoff.asked.since
    joined = [p for p, start in members.items() if since is not None and _later(start, since)]
    return {
        "types": kickoff.types,
        "since": since.isoformat() if since else None,
        "type_filters": kickoff.asked.type_filters,
        "request": kickoff.request_url,
        "base": kickoff.base,
        "members": sorted(members),
        "joined": sorted(joined),  # members who joined the Group after _since: sent whole
        "fail": kickoff.fail,
    }


def _later(start: str, since) -> bool:
    joined = parse_fhir_date(start) if start else None
    return joined is not None and joined > since
