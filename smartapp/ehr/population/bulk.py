"""Population by FHIR Bulk Data `$export` on the registration's Group (Epic, Oracle Health: docs/vendors.md).

One job per walk: the kick-off's status URL is a resume point of its own (stored before anything else, so
a crash never starts a second job: Oracle Health answers 429 while one runs); then the job is polled,
honouring Retry-After; then each NDJSON file of the manifest is read in pages, the resume point being
(status URL, file, line). When every file is stored, every exported type's watermark moves to the
manifest's transactionTime (the IG: resources changed after it are in the next `_since` export), and the
job is deleted. A job that failed, or whose files expired, is dropped: the next run starts a new one
from the unchanged watermarks. https://hl7.org/fhir/uv/bulkdata/export.html
"""

import logging
import time
from collections.abc import Iterator

from django.conf import settings

from smartapp.ehr.bulk_export import (
    ExportFile,
    ExportRestart,
    Manifest,
    Pending,
    export_delete,
    export_kick_off,
    export_resources,
    export_status,
)
from smartapp.ehr.errors import EhrError
from smartapp.ehr.profiles.base import REFERRAL_CATEGORY
from smartapp.ehr.scopes import can_read
from smartapp.ehr.sync_queries import OVERLAP, fhir_instant

from .base import PopulationPage, PopulationPending, Walk, checkpoint

log = logging.getLogger(__name__)

NAME = "bulk_export"
# In-process waiting for a job, per run, in seconds: a worker must not sleep for minutes inside a task.
# A longer Retry-After ends the run with PopulationPending; the task retries after it, at the stored
# status URL (its countdown is capped at 900 s, SECURITY.md 5.2).
DEFAULT_WAIT_SECONDS = 30
FIRST_BACKOFF = 1.0  # seconds, doubled per poll when the EHR sends no Retry-After (the IG: back off)
PEOPLE = ("Practitioner", "PractitionerRole")  # requesters' and performers' names, where scopes allow
sleep = time.sleep  # tests replace it


class GroupMissing(EhrError):
    """Permanent: the registration names no Group to export."""

    message = "This EHR gives population data by Group export: set group_id in the registration."


def bulk_export_pages(walk: Walk, resume: dict | None) -> Iterator[PopulationPage]:
    """The pages of the NDJSON files of one export job: the one an earlier run started, else a new one."""
    status_url = (resume or {}).get("status", "")
    if not status_url:
        if not walk.config.group_id:
            raise GroupMissing()
        status_url = export_kick_off(walk.client, group_id=walk.config.group_id, params=_params(walk))
        resume = {}
        yield checkpoint(_point(status_url, 0, 0))
    try:
        manifest = _completed(walk, status_url)
        yield from _file_pages(walk, manifest, status_url, _count(resume, "file"), _count(resume, "line"))
    except ExportRestart:
        yield checkpoint({})  # the job is no more: the next run starts another
        export_delete(walk.client, status_url)  # a failed or expired job the EHR may still keep
        raise
    yield checkpoint({}, {resource_type: manifest.transaction_time for resource_type in walk.types})
    export_delete(walk.client, status_url)


def _params(walk: Walk) -> list[tuple[str, str]]:
    """`_type` (the sync's types, Patient, and the people where the vendor and the scopes allow), `_since` and
    `_typeFilter` where the vendor takes them (rules.bulk_params)."""
    scope = walk.config.scope_for("backend")
    # A type the vendor does not serve would refuse the whole kick-off (a 400), so only served ones.
    people = [p for p in PEOPLE if p in walk.rules.search and can_read(scope, p)]
    params = [("_type", ",".join([*walk.types, "Patient", *people]))]
    marks = [walk.since.get(resource_type) for resource_type in walk.types]
    if "_since" in walk.rules.bulk_params and marks and None not in marks:
        params.append(("_since", fhir_instant(min(marks) - OVERLAP)))
    if "_typeFilter" in walk.rules.bulk_params and "ServiceRequest" in walk.types:
        params.append(("_typeFilter", f"ServiceRequest?category={REFERRAL_CATEGORY}"))
    return params


def _completed(walk: Walk, status_url: str) -> Manifest:
    """The manifest, waiting in this process up to the run's budget; PopulationPending past it."""
    budget = float(getattr(settings, "EHR_BULK_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))
    backoff = FIRST_BACKOFF
    while isinstance(answer := export_status(walk.client, status_url), Pending):
        wait = answer.retry_after if answer.retry_after is not None else backoff
        if wait > budget:
            raise PopulationPending(retry_after=wait)
        sleep(wait)
        budget, backoff = budget - wait, backoff * 2
    if answer.errors:
        log.warning("export job reported errors", extra={"error_files": answer.errors})
    return answer


def _file_pages(walk: Walk, manifest: Manifest, status_url: str, first: int, skip: int):
    files, as_of = _in_order(manifest.files, walk.types), manifest.transaction_time  # what the files describe
    for index in range(first, len(files)):
        file, line = files[index], skip if index == first else 0
        batch, requests = [], 1  # the file's GET
        for resource in export_resources(walk.client, manifest, file, skip=line):
            batch.append(resource)
            if len(batch) == walk.page_size:
                line += len(batch)
                yield PopulationPage(
                    file.resource_type, batch, _point(status_url, index, line), requests=requests, as_of=as_of
                )
                batch, requests = [], 0
        if batch or requests:
            yield PopulationPage(
                file.resource_type, batch, _point(status_url, index + 1, 0), requests=requests, as_of=as_of
            )
        else:
            yield checkpoint(_point(status_url, index + 1, 0))


def _in_order(files: tuple[ExportFile, ...], types) -> list[ExportFile]:
    """The sync's types first in its order (referrals before their evidence), then the Patients and the
    people, whose names go to the rows stored before them. Stable: a resumed run counts files the same."""
    rank = {resource_type: index for index, resource_type in enumerate([*types, "Patient", *PEOPLE])}
    return sorted(files, key=lambda file: rank.get(file.resource_type, len(rank)))


def _count(resume: dict, name: str) -> int:
    value = resume.get(name)
    return value if isinstance(value, int) and value >= 0 else 0


def _point(status_url: str, file: int, line: int) -> dict:
    return {"strategy": NAME, "status": status_url, "file": file, "line": line}
