"""Bulk Data `$export` on a Group: kick-off, status (and DELETE), output files. Thin: the work is beside.

The async pattern of the Bulk Data Access IG v2, https://hl7.org/fhir/uv/bulkdata/export.html. Every route
lives under the FHIR base it was called at (each vendor emulation's too) and goes through `fhir_endpoint`,
so the injected 429/500/503 and latency faults apply here as everywhere.
"""

import math

import orjson
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from smartapp.sandbox import faults
from smartapp.sandbox.bulk.jobs import Kickoff, Owner, export_delete, export_file, export_job, export_start
from smartapp.sandbox.bulk.manifest import manifest
from smartapp.sandbox.bulk.ndjson import ndjson_chunks
from smartapp.sandbox.bulk.params import EXPORT_TYPES, accepts, export_request
from smartapp.sandbox.bulk.plan import export_access
from smartapp.sandbox.fhir.endpoint import Call, fhir_endpoint
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import ExportJob
from smartapp.sandbox.vendors import rules_for

_BULK_FAULTS = frozenset({faults.EXPORT_FAILED, faults.EXPORT_FILE_EXPIRED, faults.EXPORT_SLOW})
_NDJSON = "application/fhir+ndjson"
_FILE_ACCEPTS = frozenset({"*/*", "application/*", _NDJSON, "application/ndjson"})
_FORBIDDEN = {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}


@fhir_endpoint(methods=("GET", "POST"))
def kickoff(request, call: Call, group_id: str):
    """GET or POST [base]/Group/[id]/$export: 202 with the status URL in Content-Location."""
    rules = rules_for(call.vendor)
    if not rules.bulk_params and rules.population != "bulk_export":
        raise FhirError(404, "This server offers no Bulk Data export", code="not-supported")
    asked = export_request(request, rules.bulk_params)
    injected = faults.active(request, client_id=call.bearer.client_id, kinds=_BULK_FAULTS)
    base = _base(request, f"/Group/{group_id}/$export")
    job = export_start(
        owner=_owner(call),
        kickoff=Kickoff(
            group_id=group_id,
            asked=asked,
            types=_types(call, asked.types, _served(call.vendor, rules)),
            request_url=request.build_absolute_uri(),
            base=base,
            seconds=_seconds(injected.get(faults.EXPORT_SLOW)),
            fail=faults.EXPORT_FAILED in injected,
        ),
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base}/$export-status/{job.job_id}"
    return response


@fhir_endpoint(methods=("GET", "DELETE"))
def status(request, call: Call, job_id: str):
    """GET: 202 while running, 200 with the manifest, 500 for a failed job. DELETE: 202, the job gone."""
    if request.method == "DELETE":
        export_delete(owner=_owner(call), job_id=job_id)
        return HttpResponse(status=202)
    job = export_job(owner=_owner(call), job_id=job_id, bearer=call.bearer)
    if job.status == ExportJob.Status.FAILED:
        raise FhirError(500, job.error or "The export failed")
    if job.status == ExportJob.Status.IN_PROGRESS:
        wait = max(1, math.ceil((job.ready_at - timezone.now()).total_seconds()))
        response = HttpResponse(status=202)
        response["Retry-After"], response["X-Progress"] = str(wait), "in-progress"
        return response
    # The completion manifest is plain JSON (the IG: "Content-Type header of application/json").
    return HttpResponse(orjson.dumps(manifest(job)), content_type="application/json")


@fhir_endpoint()
def output_file(request, call: Call, job_id: str, index: str):
    """GET one output file of a finished job: NDJSON, streamed; the same client's bearer is required."""
    injected = faults.active(request, client_id=call.bearer.client_id, kinds=_BULK_FAULTS)
    job = export_job(owner=_owner(call), job_id=job_id, bearer=call.bearer)
    entry = export_file(job, int(index)) if job.status == ExportJob.Status.COMPLETE else None
    if entry is None:
        raise FhirError(404, "No such export file")
    if faults.EXPORT_FILE_EXPIRED in injected:
        raise FhirError(410, "The export file has expired: start a new export")
    if not accepts(request, _FILE_ACCEPTS):
        raise FhirError(406, "Export files are served as application/fhir+ndjson")
    if export_access(call.bearer, entry["type"]) is None:
        raise FhirError(403, f"No scope permits exporting {entry['type']}", headers=_FORBIDDEN)
    return StreamingHttpResponse(ndjson_chunks(entry["ids"]), content_type=_NDJSON)


def _served(vendor: str, rules) -> list[str]:
    """The types a Group export of this base may hold: a vendor base's own types (its search table)."""
    return [t for t in EXPORT_TYPES if not vendor or t in rules.search]


def _types(call: Call, asked: list[str], served: list[str]) -> list[str]:
    """The types to export: each asked type must be served (400) and permitted (403), else every served
    type the token may read."""
    if unserved := [t for t in asked if t not in served]:
        raise FhirError(400, f"This server does not export {unserved[0]}", code="not-supported")
    if refused := [t for t in asked if export_access(call.bearer, t) is None]:
        raise FhirError(403, f"No user/ or system/ scope permits exporting {refused[0]}", headers=_FORBIDDEN)
    types = asked or [t for t in served if export_access(call.bearer, t) is not None]
    if not types:
        raise FhirError(403, "No user/ or system/ scope permits a Group export", headers=_FORBIDDEN)
    return types


def _owner(call: Call) -> Owner:
    return Owner(call.bearer.client_id, call.vendor, call.tenant)


def _base(request, suffix: str) -> str:
    """The FHIR base the request came to: its absolute URL without the route's own tail."""
    return request.build_absolute_uri(request.path.removesuffix(suffix))


def _seconds(slow: str | None) -> float:
    if slow is not None and slow.isdigit():
        return float(slow)
    return float(getattr(settings, "SANDBOX_EXPORT_SECONDS", 1.0))
