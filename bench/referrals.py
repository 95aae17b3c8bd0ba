"""The follow-up benchmark (issue 5 §6, issue 12 §7): referral sync against a large panel, and the worklist.

    .venv/bin/python -m bench.referrals [--referrals 10000] [--change 0.01] [--latency-ms 10] [--rounds 10]
        [--history-years 0 [--history-per-patient 8]] [--json PATH]

Starts a sandbox on loopback holding only a referral panel (`sandbox_panel seed`, lastUpdated spread over
30 days; with `--history-years`, each patient's older referrals and discharges too), then in one run: a
full sync of the `sandbox` connection through SMART Backend Services (the first sync: with a history, what
the tracking horizon left open is counted), a change of `--change` of the panel's Tasks (`sandbox_panel
change`), an incremental sync, and the coordinator's worklist views (bench/worklist_measure.py) rendered
through the view. It prints FHIR requests, wall time and referrals per second for each sync, the views'
render times and query counts, and the issues' targets with PASS/MISS. It reports, it does not judge: the
exit code is 0 whatever the numbers. bench.worklist measures the worklist at 10,000 and 100,000 rows.
"""

import argparse
import json
import math
import sys
import time
from datetime import date
from pathlib import Path

from bench.sandbox_server import manage, running_sandbox
from bench.worklist_report import view_targets

CONNECTION = "sandbox"
WORKLIST_TARGET_MS = 150.0
WORKLIST_ROUNDS = 10
SPREAD_DAYS = "30"
HISTORY_PER_PATIENT = 8  # as smartapp.sandbox.synthetic.panel (not imported here: it needs Django set up)


def main(argv=None) -> int:
    args = _parse(argv)
    # Dated from today, so that the panel's referrals are in the states they were built in.
    anchor = date.today().isoformat()
    panel = ("sandbox_panel", "seed", "--count", str(args.referrals), "--anchor-date", anchor)
    panel += ("--spread-days", SPREAD_DAYS, "--history-years", str(args.history_years))
    panel += ("--history-per-patient", str(args.history_per_patient))
    with running_sandbox(latency_ms=args.latency_ms, seed_commands=[panel]) as sb:
        _setup_django(sb.origin)
        full = _sync("full")
        history = _history(args, full)
        change = ("sandbox_panel", "change", "--count", str(args.referrals), "--fraction", str(args.change))
        manage(sb.env, *change, "--anchor-date", anchor)
        incremental = _sync("incremental")
        views = _worklist_views(args.rounds)
    report = build_report(args, full, incremental, views, changed=_changed_tasks(args), history=history)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def build_report(
    args, full: dict, incremental: dict, views: list[dict], *, changed: int, history: dict
) -> dict:
    """The numbers as plain data, with each target's verdict."""
    from django.conf import settings

    page_size = settings.REFERRAL_SYNC_PAGE_SIZE
    allowed = math.ceil(changed / page_size) + incremental["watermarks"]
    worklist = next(view for view in views if view["query"] == "state=overdue")
    return {
        "referrals": args.referrals,
        "latency_ms": args.latency_ms,
        "page_size": page_size,
        "changed": changed,
        "rounds": args.rounds,
        "full": full,
        "incremental": incremental,
        "worklist": {
            "median_ms": worklist["median_ms"],
            "queries": worklist["queries"],
            "rows": worklist["matches"],
        },
        "views": views,
        "history": history,
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
            *view_targets(f"{args.referrals} referrals", views),
            _target(
                f"after the first sync, no open item older than the horizon "
                f"({history['tracking_days']} days)",
                f"{history['open_before_horizon']} of {history['open']} open",
                history["open_before_horizon"] == 0,
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
    history = report["history"]
    kinds = ", ".join(f"{n} {kind}s" for kind, n in sorted(history["stored"].items()))
    lines += [
        "",
        f"after the first sync ({history['years']} years of history, {history['per_patient']} older items "
        f"per patient): {kinds}; horizon {history['tracking_days']} days: {history['open']} open, "
        f"{history['before_tracking']} closed as before tracking, {history['closed_other']} closed otherwise",
        "",
        f"worklist views (median of {report['rounds']}):",
    ]
    lines += [
        f"  {view['view']:<28}{view['matches']:>7} matching"
        f"{view['median_ms']:>9.1f} ms{view['queries']:>4} queries"
        for view in report["views"]
    ]
    lines += ["", "targets:"]
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


def _history(args, full: dict) -> dict:
    """What the first sync left open under the tracking horizon, with its cost."""
    from bench.history import horizon_counts

    sync = {"requests": full["requests"], "wall_s": full["wall_s"]}
    counts = horizon_counts(CONNECTION)
    return {"years": args.history_years, "per_patient": args.history_per_patient, "sync": sync, **counts}


def _worklist_views(rounds: int) -> list[dict]:
    """The worklist's views (bench/worklist_measure.py), as a signed-in coordinator sees them."""
    from django.contrib.auth import get_user_model

    from bench import worklist_measure
    from smartapp.launch.models import Launch

    user = get_user_model().objects.create_user(username="bench-coordinator")
    launch = Launch.objects.create(
        user=user,
        config_name=CONNECTION,
        issuer="bench",
        persona="coordinator",
        fhir_user="Practitioner/bench",
    )
    client = worklist_measure.signed_in_client(user_id=user.pk, launch_id=str(launch.pk))
    return worklist_measure.measure_views(client, user_id=user.pk, rounds=rounds)


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
    parser.add_argument(
        "--rounds", type=int, default=WORKLIST_ROUNDS, help="timed GETs per worklist view (default 10)"
    )
    parser.add_argument(
        "--history-years", type=int, default=0, help="each patient's older items over this many years"
    )
    parser.add_argument(
        "--history-per-patient",
        type=int,
        default=HISTORY_PER_PATIENT,
        help=f"older referrals and discharges per patient (default {HISTORY_PER_PATIENT})",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.referrals < 1 or not 0 < args.change <= 1 or args.latency_ms < 0:
        parser.error("--referrals >= 1; --change in (0, 1]; --latency-ms >= 0")
    if args.history_years < 0 or args.history_per_patient < 0 or args.rounds < 1:
        parser.error("--history-years and --history-per-patient >= 0; --rounds >= 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
