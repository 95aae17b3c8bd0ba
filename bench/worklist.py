"""The worklist benchmark (issue 12 §7): pages and bulk actions at scale, and the first sync of 40 years.

    .venv/bin/python -m bench.worklist [--sqlite 10000] [--postgres 100000] [--postgres-url URL]
        [--rounds 10] [--bulk 1000] [--history-referrals 2000] [--history-years 40] [--latency-ms 10]
        [--json PATH]

For each database, in a process of its own: a fresh database (a temporary SQLite file; a PostgreSQL
database created for the run and dropped after it), migrated, holding N worklist rows written with
bulk_create (bench/worklist_seed.py). Then every worklist view (the default open list, mine, unassigned,
overdue, snoozed, closed, before tracking, the sorts, a short page) through Django's test client as a
signed-in coordinator: the median render time and the query count of each (bench/worklist_measure.py).
Then the bulk actions on `--bulk` open rows, through the action services and through the bulk form's POST.
Last, `bench.referrals --history-years` in a process of its own: a sandbox holding a referral panel with
decades of history, synced for the first time, and how many of its items the tracking horizon left open.

It prints every number next to its target with PASS/MISS, and exits 0 whatever they are.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.worklist_report import format_report, targets

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CHILD_TIMEOUT_S = 3600


def main(argv=None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    report = {"rounds": args.rounds, "bulk": args.bulk, "backends": [], "skipped": [], "history": None}
    with tempfile.TemporaryDirectory(prefix="smartapp-bench-worklist-") as tmp:
        if args.sqlite:
            url = f"sqlite:///{Path(tmp) / 'worklist.sqlite3'}"
            report["backends"].append(_run_backend("SQLite", url, args.sqlite, args, Path(tmp)))
        if args.postgres:
            _postgres(report, args, Path(tmp))
        if args.history_referrals:
            report["history"] = _run_history(args, Path(tmp))
    report["targets"] = targets(report)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _postgres(report: dict, args, tmp: Path) -> None:
    problem = _unreachable(args.postgres_url)
    if problem:
        report["skipped"].append(f"PostgreSQL skipped: {problem}")
        return
    with _bench_database(args.postgres_url) as url:
        report["backends"].append(_run_backend("PostgreSQL", url, args.postgres, args, tmp))


def _run_backend(name: str, url: str, count: int, args, tmp: Path) -> dict:
    out = tmp / f"{name}.json"
    command = [sys.executable, "-m", "bench.worklist", "--child", "--count", str(count)]
    command += ["--rounds", str(args.rounds), "--bulk", str(args.bulk), "--json", str(out)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smartapp.settings", "DATABASE_URL": url}
    env["LOG_LEVEL"] = "WARNING"
    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=CHILD_TIMEOUT_S)
    return {"database": name, **json.loads(out.read_text())}


def _run_history(args, tmp: Path) -> dict:
    out = tmp / "history.json"
    command = [sys.executable, "-m", "bench.referrals", "--referrals", str(args.history_referrals)]
    command += ["--history-years", str(args.history_years), "--latency-ms", str(args.latency_ms)]
    command += ["--json", str(out)]
    subprocess.run(command, cwd=REPO, check=True, timeout=CHILD_TIMEOUT_S, stdout=subprocess.DEVNULL)
    report = json.loads(out.read_text())
    return {"referrals": report["referrals"], "latency_ms": report["latency_ms"], **report["history"]}


def _child(args) -> int:
    """In a process whose DATABASE_URL is the benchmark's database: migrate, seed, measure, write JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import worklist_measure as measure
    from bench.worklist_seed import seed_worklist
    from smartapp.referrals.action_forms import MAX_IDS

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seeded = seed_worklist(args.count, today=timezone.localdate())
    if connection.vendor == "postgresql":  # as autovacuum would soon: plans from statistics, not guesses
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seed_s = time.perf_counter() - started
    client = measure.signed_in_client(user_id=seeded.me, launch_id=seeded.me_launch)
    views = measure.measure_views(client, user_id=seeded.me, rounds=args.rounds, few=seeded.few)
    # The same rows for both: the services leave them open again, the form's steps change them anew.
    pks = measure.bulk_pks(args.bulk, user_id=seeded.me)
    services = measure.measure_bulk_services(user_id=seeded.me, pks=pks)
    form = measure.measure_bulk_views(client, pks=pks, per_request=MAX_IDS, owner=seeded.coordinators[1])
    result = {
        "vendor": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "referrals": args.count,
        "seed_s": round(seed_s, 1),
        "by_status": seeded.by_status,
        "outreach_notes": seeded.outreach_notes,
        "views": views,
        "bulk_services": services,
        "bulk_form": form,
        "bulk_form_max_ids": MAX_IDS,
    }
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _unreachable(url: str) -> str:
    """Why PostgreSQL at `url` cannot be used ("" when it can)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url, connect_timeout=3):
            return ""
    except psycopg.Error as error:
        return f"cannot connect to {_safe(url)} ({type(error).__name__})"


@contextmanager
def _bench_database(admin_url: str):
    """A database of its own for this run, next to `admin_url`'s, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"smartapp_bench_{os.getpid()}_{date.today():%Y%m%d}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        parts = urlsplit(admin_url)
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _safe(url: str) -> str:
    """The URL without a password, for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port or 5432}{parts.path}"


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.worklist", description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=int, default=10_000, help="referrals on SQLite (0: skip)")
    parser.add_argument("--postgres", type=int, default=100_000, help="referrals on PostgreSQL (0: skip)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
        help="a PostgreSQL server's database to connect to; the benchmark creates its own next to it",
    )
    parser.add_argument("--rounds", type=int, default=10, help="timed GETs per view (default 10)")
    parser.add_argument("--bulk", type=int, default=1000, help="rows per bulk action (default 1000)")
    parser.add_argument(
        "--history-referrals",
        type=int,
        default=2000,
        help="recent referrals of the history sync's panel (0: skip the history sync)",
    )
    parser.add_argument("--history-years", type=int, default=40, help="years of history (default 40)")
    parser.add_argument("--latency-ms", type=int, default=10, help="history sync: added to every request")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = (args.sqlite, args.postgres, args.history_referrals, args.latency_ms, args.history_years)
    if min(sizes) < 0 or args.rounds < 1 or args.bulk < 1:
        parser.error("sizes and --latency-ms >= 0; --rounds and --bulk >= 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
