"""Which resources a finished export's files hold, fixed once: the row ids of each file, in order.

A file is a list of row ids, so downloading it again gives the same lines in the same order and a client
may resume inside it. A resource changed after the job's transactionTime is left out when the files are
fixed (the next export, `_since` = this transactionTime, sends it); changed after that, it is sent as it
is now (sent twice, never missed).
"""

from dataclasses import replace
from datetime import datetime
from functools import reduce
from operator import or_

from django.conf import settings

from smartapp.sandbox.bearer import Bearer
from smartapp.sandbox.bulk.params import type_filter_search
from smartapp.sandbox.fhir import catalog
from smartapp.sandbox.fhir.access import Access, access_for
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import ExportJob, Resource

DEFAULT_LINES_PER_FILE = 10_000


def export_access(bearer: Bearer, resource_type: str) -> Access | None:
    """What `bearer` may export of a type: its user/ and system/ grants (None: it may not).

    Patient-level grants do not count: a Group export is a population read (the IG's authorization section,
    https://hl7.org/fhir/uv/bulkdata/authorization.html: Backend Services, system/ scopes).
    """
    population = replace(bearer, scopes=tuple(s for s in bearer.scopes if s.level != "patient"))
    try:
        return access_for(population, resource_type, "r")
    except FhirError:
        return None


def plan_files(job: ExportJob, bearer: Bearer) -> list[dict]:
    """The job's files: [{type, count, ids}], at most SANDBOX_EXPORT_FILE_LINES ids each."""
    lines = getattr(settings, "SANDBOX_EXPORT_FILE_LINES", DEFAULT_LINES_PER_FILE)
    files = []
    for resource_type in job.params["types"]:
        access = export_access(bearer, resource_type)
        ids = _matching_ids(job, resource_type, access) if access else []
        for start in range(0, len(ids), lines):
            chunk = ids[start : start + lines]
            files.append({"type": resource_type, "count": len(chunk), "ids": chunk})
    return files


def _matching_ids(job: ExportJob, resource_type: str, access: Access) -> list[int]:
    params = job.params
    members, joined = set(params["members"]), set(params["joined"])
    since = datetime.fromisoformat(params["since"]) if params["since"] else None
    rows = Resource.objects.filter(
        access.as_filter(), resource_type=resource_type, last_updated__lte=job.transaction_time
    )
    if queries := params["type_filters"].get(resource_type):
        rows = rows.filter(reduce(or_, (type_filter_search(resource_type, q).filter for q in queries)))
    if since is not None and not joined:
        rows, since = rows.filter(last_updated__gt=since), None  # the usual case, done by the database
    found = rows.order_by("pk").values_list("pk", "patient_id", "last_updated")
    if resource_type in catalog.COMPARTMENTLESS:  # no member to belong to: the whole type
        return [pk for pk, _, updated in found.iterator(chunk_size=5000) if since is None or updated > since]
    return [
        pk
        for pk, patient_id, updated in found.iterator(chunk_size=5000)
        if patient_id in members and (since is None or updated > since or patient_id in joined)
    ]
