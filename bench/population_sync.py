"""One way's first sync, in a process of its own (so its peak memory is its own), run by bench.population:

    python -m bench.population_sync --way-json PATH [--tracemalloc] --out PATH

DATABASE_URL is a fresh copy of the migrated app database and LAUNCH_CONFIGS_DIR holds the run's
registrations (bench/population_ways.py). It calls `referral_sync(connection=...)` as the Celery task
does, and again after an `EhrUnavailable` (a bulk export still running, a 429) once its Retry-After has
passed, as the task's retry would, until a run ends. It counts every HTTP request the process sends
(token and discovery requests included), the sync reports' FHIR requests, the wall time, and the
process's peak resident memory (ru_maxrss) against its size before the sync; `--tracemalloc` adds
Python's own allocation peak (slower). Writes the numbers and what ended up in the store as JSON.
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

MAX_ATTEMPTS = 10_000
MAX_WAIT_S = 30.0  # a Retry-After above this is cut: the benchmark measures the sync, not the waiting
HTTP = {"requests": 0}
READ = ("created", "updated", "unchanged", "skipped", "ignored")  # every resource a page brought


def main(argv=None) -> int:
    args = _parse(argv)
    import django

    django.setup()
    way = json.loads(Path(args.way_json).read_text())
    _count_http_requests()
    before_kib = _high_water_kib()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    sync = _sync_to_end(way["connection"])
    wall = time.perf_counter() - started
    result = {
        "way": way["key"],
        "label": way["label"],
        "connection": way["connection"],
        "wall_s": round(wall, 3),
        "http_requests": HTTP["requests"],
        **sync,
        "rss_before_mib": round(before_kib / 1024, 1),
        "rss_peak_mib": round(_high_water_kib() / 1024, 1),
        "tracemalloc_peak_mib": round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        if args.tracemalloc
        else None,
        **stored(way["connection"]),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _sync_to_end(connection: str) -> dict:
    """referral_sync until a run ends: how many runs it took, the time spent waiting between them, and
    the last (ending) run's own report: its FHIR requests and the resources it read."""
    from smartapp.ehr.errors import EhrUnavailable
    from smartapp.referrals.sync import referral_sync

    waited = 0.0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            report = referral_sync(connection=connection)
        except EhrUnavailable as unavailable:
            pause = min(float(getattr(unavailable, "retry_after", None) or 1.0), MAX_WAIT_S)
            time.sleep(pause)
            waited += pause
            continue
        if report.busy:
            raise RuntimeError("the connection was held by another run")
        return {
            "runs": attempt,
            "waited_s": waited,
            "last_run_fhir_requests": report.requests,
            "last_run_read": sum(report.total(name) for name in READ),
        }
    raise RuntimeError("the sync did not end")


def stored(connection: str) -> dict:
    """What the sync left in the app's store: expectations by kind, and evidence rows."""
    from django.db.models import Count

    from smartapp.referrals.models import Evidence, Referral

    rows = Referral.objects.filter(connection=connection)
    by_kind = dict(rows.order_by().values_list("kind").annotate(n=Count("pk")))
    evidence = Evidence.objects.filter(connection=connection)
    return {
        "stored_by_kind": dict(sorted(by_kind.items())),
        "referrals": by_kind.get("referral", 0),
        "expectations": sum(by_kind.values()),
        "evidence": evidence.count(),
        "evidence_resources": evidence.order_by().values("fhir_ref").distinct().count(),
    }


def _count_http_requests() -> None:
    """Count every request any requests.Session of this process sends (the app's adapter is one)."""
    from requests.adapters import HTTPAdapter

    send = HTTPAdapter.send

    def counted(self, request, **kwargs):
        HTTP["requests"] += 1
        return send(self, request, **kwargs)

    HTTPAdapter.send = counted


def _high_water_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.population_sync")
    parser.add_argument("--way-json", required=True)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
