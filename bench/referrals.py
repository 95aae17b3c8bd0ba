"""The follow-up benchmark (issue 5 §6): referral sync against a large panel, and the overdue worklist.

    .venv/bin/python -m bench.referrals [--referrals 10000] [--change 0.01] [--latency-ms 10] [--json PATH]

Starts a sandbox on loopback holding only a referral panel (`sandbox_panel seed`, lastUpdated spread over
30 days), then in one run: a full sync of the `sandbox` connection through SMART Backend Services, a change
of `--change` of the panel's Tasks (`sandbox_panel change`), an incremental sync, and the coordinator's
overdue worklist rendered through the view. It prints FHIR requests, wall time and referrals per second
for each sync, the worklist's render time, and the issue's targets with PASS/MISS. It reports, it does
not judge: the exit code is 0 whatever the numbers.
"""

import argparse
import json
import math
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bench.sandbox_server import manage, running_sandbox

CONNECTION = "sandbox"
WORKLIST_TARGET_MS = 150.0
WORKLIST_ROUNDS = 10
SPREAD_DAYS = "30"


def main(argv=None) -> int:
    args = _parse(argv)
    # Dated from today, so that the panel's referrals are in the states they were built in.
    anchor = date.today().isoformat()
    panel = ("sandbox_panel", "seed", "--count", str(args.referrals), "--anchor-date", anchor)
    with running_sandbox(
        latency_ms=args.latency_ms, seed_commands=[(*panel, "--spread-days", SPREAD_DAYS)]
    ) as sb:
        _setup_django(sb.origin)
        full = _sync("full")
        change = ("sandbox_panel", "change", "--count", str(args.referrals), "--fraction", str(args.change))
        manage(sb.env, *change, "--anchor-date", anchor)
        incremental = _sync("incremental")
        worklist = _worklist()
    report = build_report(args, full, incremental, worklist, changed=_changed_tasks(args))
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def build_report(args, full: dict, incremental: dict, worklist: dict, *, changed: int) -> dict:
    """The numbers as plain data, with each target's verdict."""
    from django.conf import settings

    page_size = settings.REFERRAL_SYNC_PAGE_SIZE
    allowed = math.ceil(changed / page_size) + incremental["watermarks"]
    return {
        "referrals": args.referrals,
        "latency_ms": args.latency_ms,
        "page_size": page_size,
        "changed": changed,
        "full": full,
        "incremental": incremental,
        "worklist": worklist,
        "targets": [
            _target(
                f"incremental requests <= changed/page size + one per watermark ({allowed})",
                incremental["requests"],
                incremental["requests"] <= allowed,
            ),
            _target(
                f"overdue worklist renders in < {WORKLIST_TARGET_MS:.0f} ms at {args.referrals} referrals",
                worklist["median_ms"],
                worklist["median_ms"] < WORKLIST_TARGET_MS,
            ),
        ],
    }


def format_report(report: dict) -> str:
    lines = [
        f"{report['referrals']} referrals, latency {report['latency_ms']} ms per request, "
        f"page size {report['page_size']}, {report['changed']} Tasks changed between the syncs",
        "",
        f"{'sync':<12}{'requests':>10}{'wall s':>10}{'referrals/s':>14}{'created':>10}{'updated':>10}",
    ]
    for run in (report["full"], report["incremental"]):
        lines.append(
            f"{run['name']:<12}{run['requests']:>10}{run['wall_s']:>10.2f}{run['referrals_per_s']:>14.0f}"
            f"{run['created']:>10}{run['updated']:>10}"
        )
    worklist = report["worklist"]
    lines += [
        "",
        f"overdue worklist: {worklist['rows']} overdue referrals, first page rendered in "
        f"{worklist['median_ms']:.1f} ms (median of {WORKLIST_ROUNDS}), {worklist['queries']} queries",
        "",
        "targets:",
    ]
    lines += [f"  {t['status']:<4}  {t['name']}: {t['value']}" for t in report["targets"]]
    return "\n".join(lines)


def _target(name: str, value, met: bool) -> dict:
    return {"name": name, "value": value, "status": "PASS" if met else "MISS"}


def _setup_django(origin: str) -> None:
    """django.setup() against the sandbox's database, and smartapp's Backend Services client registered
    there with the JWKS URL of the server the benchmark started."""
    import django

    django.setup()
    from smartapp.sandbox.auth import clients

    clients.register_default_backend([origin])


def _sync(name: str) -> dict:
    from smartapp.referrals.models import Referral
    from smartapp.referrals.sync import referral_sync

    started = time.perf_counter()
    report = referral_sync(connection=CONNECTION)
    wall = time.perf_counter() - started
    referrals = Referral.objects.filter(connection=CONNECTION).count()
    return {
        "name": name,
        "requests": report.requests,
        "wall_s": round(wall, 3),
        "referrals": referrals,
        "referrals_per_s": round(referrals / wall, 1) if wall else 0.0,
        "created": sum(t.created for t in report.types),
        "updated": sum(t.updated for t in report.types),
        "watermarks": len(report.types),
        "requests_by_type": {t.resource_type: t.requests for t in report.types},
    }


def _worklist() -> dict:
    """The overdue worklist's first page through the view, as a signed-in coordinator sees it."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from smartapp.launch.complete import SESSION_LAUNCHES
    from smartapp.launch.models import Launch
    from smartapp.referrals.models import Referral

    user = get_user_model().objects.create_user(username="bench-coordinator")
    launch = Launch.objects.create(
        user=user,
        config_name=CONNECTION,
        issuer="bench",
        persona="coordinator",
        fhir_user="Practitioner/bench",
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[SESSION_LAUNCHES] = [str(launch.pk)]
    session.save()
    url = "/referrals/?state=overdue"
    assert client.get(url).status_code == 200  # warm-up: template compilation is not what is measured
    times = []
    for _ in range(WORKLIST_ROUNDS):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200
    return {
        "median_ms": round(statistics.median(times), 1),
        "queries": len(queries),
        "rows": Referral.objects.filter(connection=CONNECTION, state="overdue").count(),
    }


def _changed_tasks(args) -> int:
    from smartapp.sandbox.synthetic.panel import panel_changes, referral_panel

    return len(panel_changes(referral_panel(args.referrals, anchor=date.today()), args.change))


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.referrals", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--referrals", type=int, default=10_000, help="referrals in the panel (default 10000)"
    )
    parser.add_argument("--change", type=float, default=0.01, help="share of Tasks changed (default 0.01)")
    parser.add_argument("--latency-ms", type=int, default=10, help="added to every FHIR request (default 10)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.referrals < 1 or not 0 < args.change <= 1 or args.latency_ms < 0:
        parser.error("--referrals >= 1; --change in (0, 1]; --latency-ms >= 0")
    return args


if __name__ == "__main__":
    sys.exit(main())
