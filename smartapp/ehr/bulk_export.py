"""The FHIR Bulk Data client: a Group `$export` kick-off, its status, the manifest, NDJSON files, DELETE.

The asynchronous request pattern of the Bulk Data Access IG (https://hl7.org/fhir/uv/bulkdata/export.html):
the kick-off answers 202 with the status URL in Content-Location; a status request answers 202 (with
Retry-After) while the job runs, then 200 with the manifest; each output file is NDJSON, one resource per
line; a DELETE to the status URL ends the job. Every request goes through EhrClient.exchange, so the token
reaches only URLs on the FHIR base (SECURITY.md R12). A file is read line by line while it streams in (a
line and its JSON bounded): an export of a whole population is never held in memory.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import requests
from django.utils.dateparse import parse_datetime

from smartapp.ehr import bounded_json
from smartapp.ehr.errors import EhrBadResponse, EhrError, EhrUnavailable
from smartapp.ehr.fhir import EhrClient, raise_for_status, read_bounded, retry_after_seconds
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.paging import is_under_base

log = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
MAX_LINE_BYTES = 8_000_000  # one resource: a note with its attachment inline stays far below
MAX_MANIFEST_BYTES = 8_000_000
MAX_OUTCOME_BYTES = 64 * 1024
MAX_FILES = 10_000
_CHUNK = 64 * 1024
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


class ExportNotAsync(EhrBadResponse):
    message = "The EHR did not start an asynchronous export."


class ExportManifestBad(EhrBadResponse):
    message = "The EHR's export manifest cannot be read."


class ExportFileForeign(EhrBadResponse):
    message = "The EHR's export manifest names a file off its FHIR base."


class ExportRestart(EhrUnavailable):
    """The export job cannot go on (it failed, was deleted, or its files expired): start a new one later."""

    message = "The EHR's export job ended without its data; a new one will be started."


@dataclass(frozen=True)
class ExportFile:
    resource_type: str
    url: str


@dataclass(frozen=True)
class Manifest:
    """A complete job's manifest: when its data was read, whether its files need the token, the files."""

    transaction_time: datetime
    requires_token: bool
    files: tuple[ExportFile, ...]
    errors: int = 0  # error files (OperationOutcomes) the EHR wrote: counted, never read


@dataclass(frozen=True)
class Pending:
    """The job is still running: ask again after `retry_after` seconds (None: the EHR did not say)."""

    retry_after: float | None


def export_kick_off(client: EhrClient, *, group_id: str, params: list[tuple[str, str]]) -> str:
    """Start `GET [base]/Group/<group_id>/$export?params` with `Prefer: respond-async`; the status URL.

    A 429 (Oracle Health: one job per client and tenant, its docs op-group-group_id-export-get) raises
    EhrUnavailable with its Retry-After; an answer that is not a 202 with a status URL, EhrBadResponse.
    """
    if not is_fhir_id(group_id):
        raise ValueError("group_id must be a FHIR id")
    url = f"{client.base_url}/Group/{group_id}/$export"
    with client.exchange(url, params=params, headers={"Prefer": "respond-async"}, kind="export") as answer:
        raise_for_status(answer.status_code, answer.headers.get("Retry-After"))
        location = answer.headers.get("Content-Location", "")
        if answer.status_code != 202 or not location:
            raise ExportNotAsync()
    status_url = urljoin(url, location)
    if not is_under_base(status_url, client.base_url):
        raise ExportNotAsync()  # the token would follow it
    return status_url


def export_status(client: EhrClient, status_url: str) -> Manifest | Pending:
    """Poll the job: Pending while it runs, its Manifest once complete.

    ExportRestart when the job failed (a 4xx/5xx OperationOutcome not marked transient) or is gone (404,
    410); EhrUnavailable for a transient error (the IG: issue.code "transient") or a 429.
    """
    with client.exchange(status_url, kind="export-status") as answer:
        status = answer.status_code
        if status == 202:
            return Pending(retry_after_seconds(answer.headers.get("Retry-After")))
        if status == 200:
            return _manifest(read_bounded(answer, MAX_MANIFEST_BYTES), client.base_url)
        _raise_for_failed_job(answer)
    raise EhrBadResponse()  # not reached: _raise_for_failed_job always raises


def export_resources(
    client: EhrClient, manifest: Manifest, file: ExportFile, *, skip: int = 0
) -> Iterator[dict]:
    """The resources of one output file, read as they stream in, after the first `skip` (a resume point).

    ExportRestart when the file is gone (404, 410: the IG lets a server expire files).
    """
    headers = {"Accept": NDJSON}
    with client.exchange(
        file.url, headers=headers, token=manifest.requires_token, kind="export-file"
    ) as answer:
        if answer.status_code in (404, 410):
            raise ExportRestart()
        raise_for_status(answer.status_code, answer.headers.get("Retry-After"))
        for number, line in enumerate(_lines(answer)):
            if number >= skip:
                yield _resource(line)


def export_delete(client: EhrClient, status_url: str) -> bool:
    """DELETE the job (the IG's "Delete a Bulk Data Request"): whether the EHR took it. Never raises: the
    data is stored by then, and the EHR expires a job it is not told to delete."""
    try:
        with client.exchange(status_url, method="DELETE", kind="export-delete") as answer:
            taken = answer.status_code in (200, 202, 204, 404)
    except EhrError as error:
        log.warning("export job not deleted", extra={"error_class": type(error).__name__})
        return False
    if not taken:
        log.warning("export job not deleted", extra={"status": answer.status_code})
    return taken


def _raise_for_failed_job(answer: requests.Response) -> None:
    status = answer.status_code
    if status in (404, 410):
        raise ExportRestart()
    if status in (401, 403, 429):
        raise_for_status(status, answer.headers.get("Retry-After"))
    codes = _issue_codes(answer)
    if status >= 500 and (codes is None or codes == {"transient"}):
        raise EhrUnavailable(retry_after=retry_after_seconds(answer.headers.get("Retry-After")))
    log.warning("export job failed", extra={"status": status, "issue_codes": sorted(codes or ())[:5]})
    raise ExportRestart()


def _issue_codes(answer: requests.Response) -> set[str] | None:
    """The issue codes of an OperationOutcome body; None for a body that is not one (a proxy's page)."""
    try:
        body = bounded_json.loads_object(read_bounded(answer, MAX_OUTCOME_BYTES))
    except EhrBadResponse:
        return None
    issues = body.get("issue") if body.get("resourceType") == "OperationOutcome" else None
    if not isinstance(issues, list):
        return None
    return {str(issue.get("code"))[:32] for issue in issues if isinstance(issue, dict)}


def _manifest(body: bytes, base_url: str) -> Manifest:
    manifest = bounded_json.loads_object(body, max_bytes=MAX_MANIFEST_BYTES)
    moment = manifest.get("transactionTime")
    moment = parse_datetime(moment) if isinstance(moment, str) else None
    output, token = manifest.get("output"), manifest.get("requiresAccessToken")
    if moment is None or moment.tzinfo is None or not isinstance(token, bool) or not isinstance(output, list):
        raise ExportManifestBad()
    if len(output) > MAX_FILES:
        raise ExportManifestBad()
    files = tuple(_file(item, base_url) for item in output)
    errors = manifest.get("error")
    return Manifest(moment, token, files, errors=len(errors) if isinstance(errors, list) else 0)


def _file(item, base_url: str) -> ExportFile:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("type"), str)
        or not _TYPE.fullmatch(item["type"])
    ):
        raise ExportManifestBad()
    url = item.get("url")
    if not isinstance(url, str) or not is_under_base(url, base_url):
        # The IG lets files live elsewhere when requiresAccessToken is false; smartapp reads only its
        # EHR's FHIR base (assumption: Epic and Oracle serve files there), so such a manifest is refused.
        raise ExportFileForeign()
    return ExportFile(item["type"], url)


def _lines(answer: requests.Response) -> Iterator[bytes]:
    """The non-blank lines of a streamed body; EhrBadResponse for one longer than MAX_LINE_BYTES."""
    max_line_bytes, line = MAX_LINE_BYTES, bytearray()
    for chunk in answer.iter_content(_CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            line += chunk[start:end]
            if line.strip():
                yield bytes(line)
            line.clear()
            start = end + 1
        line += chunk[start:]
        if len(line) > max_line_bytes:
            raise EhrBadResponse()
    if line.strip():
        yield bytes(line)


def _resource(line: bytes) -> dict:
    resource = bounded_json.loads_object(line, max_bytes=MAX_LINE_BYTES)
    if not isinstance(resource.get("resourceType"), str):
        raise EhrBadResponse()
    return resource
