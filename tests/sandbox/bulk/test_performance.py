"""A large export streams in pieces, with memory that does not grow with the file. Not timed: it prints
the lines per second it saw. SANDBOX_BULK_PERF_COUNT=100000 runs the benchmark size (default: small)."""

import os
import time
import tracemalloc

import pytest
from django.utils import timezone

from smartapp.sandbox.bulk.ndjson import BATCH
from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import index_fields
from smartapp.sandbox.synthetic.groups import ALL_PATIENTS_ID, groups_refresh

from .conftest import Bulk

COUNT = int(os.environ.get("SANDBOX_BULK_PERF_COUNT", "6000"))
PER_PATIENT = 10  # a Patient and nine orders each


def _rows(count: int) -> list[Resource]:
    now = timezone.now()
    rows = []
    for number in range(count // PER_PATIENT):
        patient = f"perf-{number:06d}"
        bodies = [{"resourceType": "Patient", "id": patient, "name": [{"family": f"Perf{number}"}]}]
        bodies += [
            {
                "resourceType": "ServiceRequest",
                "id": f"{patient}-sr-{n}",
                "status": "active",
                "intent": "order",
                "subject": {"reference": f"Patient/{patient}"},
                "note": [{"text": "x" * 400}],
            }
            for n in range(PER_PATIENT - 1)
        ]
        rows += [
            Resource(
                resource_type=b["resourceType"], fhir_id=b["id"], last_updated=now, body=b, **index_fields(b)
            )
            for b in bodies
        ]
    return rows


@pytest.fixture
def panel(db):
    Resource.objects.bulk_create(_rows(COUNT), batch_size=2000)
    groups_refresh()


def _peak_memory(bulk: Bulk, url: str) -> int:
    tracemalloc.start()
    try:
        for _ in bulk.get(url).streaming_content:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_export_streams_in_batches_with_flat_memory(panel, token, settings, capsys):
    settings.SANDBOX_EXPORT_FILE_LINES = 10_000
    bulk = Bulk(token("system/Patient.rs system/ServiceRequest.rs"))
    started = time.monotonic()
    manifest = bulk.manifest({"_type": "Patient,ServiceRequest"}, group=ALL_PATIENTS_ID)
    planned = time.monotonic()
    lines, largest_chunk = 0, 0
    for entry in manifest["output"]:
        for chunk in bulk.get(entry["url"]).streaming_content:
            lines += chunk.count(b"\n")
            largest_chunk = max(largest_chunk, chunk.count(b"\n"))
    streamed = time.monotonic()
    peak = _peak_memory(bulk, max(manifest["output"], key=lambda e: e["count"])["url"])

    assert lines == sum(e["count"] for e in manifest["output"]) == COUNT
    assert largest_chunk <= BATCH  # never the whole file in one piece
    assert peak < 40 * 1024 * 1024
    with capsys.disabled():
        print(
            f"\n$export of {lines} resources in {len(manifest['output'])} files: fixed in "
            f"{planned - started:.2f}s, streamed at {lines / (streamed - planned):,.0f} lines/s, "
            f"peak {peak / 1e6:.1f} MB for a file of up to 10,000 lines"
        )
