"""The ADT processing benchmark: what `adt_process_pending` does with stored messages, not their ingest.

    .venv/bin/python -m bench.adt_process [--visits 1000] [--updates 300] [--limit N]
        [--setups default,postgres] [--baseline default] [--postgres-url URL] [--json PATH]

For each setup (default: a SQLite file in a temporary directory, as bin/run; postgres: a database created
on the server and dropped at the end, skipped with a note when unreachable), in a process of its own: a
fresh migrated database, patients matched from PatientMatch rows recorded beforehand (no EHR search, no
network), then two scenarios (bench/adt_process_run.py), each with the process-wide parse cache off (a
parse lives for one run, as before) and on (smartapp/adt/process.py), side by side. The baseline (off) runs
on the `--baseline` setups only: on PostgreSQL it adds ~45 s to a default run of ~2 minutes, and the parse
it shows is the same CPU on either database.

(a) burst: `--visits` visits, an A01 and an A03 each, stored as a backlog and processed by
    `adt_process_pending(limit=...)` (the listener's limit by default) until nothing is left;
(b) long stay: one visit, an A01, `--updates` A08s and the A03, stored and processed one at a time: the
    time per message of the first tenth against the last shows how it grows with the visit's messages.

Prints msgs/s and the time per message (p50/p99 of the runs), whether every message ended processed, and
the cache on / off ratios (bench/adt_process_report.py); never gates: exit code 0.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.adt_listener import listener_env
from bench.adt_process_report import format_report, ratios, rows
from bench.population_db import POSTGRES_URL, databases, unreachable
from bench.sandbox_server import REPO

SETUPS = ("default", "postgres")
CHILD_TIMEOUT_S = 1800


def main(argv=None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    setups, notes = {}, []
    with tempfile.TemporaryDirectory(prefix="smartapp-bench-adt-process-") as tmp:
        for setup in args.setups:
            if result := _run_setup(setup, args, Path(tmp), notes):
                setups[setup] = result
    report = {
        "visits": args.visits,
        "updates": args.updates,
        "limit": next((r["limit"] for r in setups.values()), args.limit),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "setups": setups,
        "rows": rows(setups),
        "ratios": ratios(setups),
        "notes": notes,
    }
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _run_setup(setup: str, args, tmp: Path, notes: list[str]) -> dict | None:
    admin_url = args.postgres_url if setup == "postgres" else ""
    if admin_url and (problem := unreachable(admin_url)):
        notes.append(f"postgres skipped: {problem}")
        return None
    folder = tmp / setup
    folder.mkdir()
    with databases(tmp=folder, admin_url=admin_url) as dbs:
        dbs.prefix = f"smartapp_bench_adt_process_{os.getpid()}"
        env = {**listener_env(folder), "DATABASE_URL": dbs.new("process")}
        out = folder / "result.json"
        command = [sys.executable, "-m", "bench.adt_process", "--child", "--json", str(out)]
        command += ["--visits", str(args.visits), "--updates", str(args.updates), "--limit", str(args.limit)]
        command += ["--modes", "off,on" if setup in args.baseline else "on"]
        subprocess.run(command, cwd=REPO, env=env, check=True, timeout=CHILD_TIMEOUT_S)
        result = json.loads(out.read_text())
    print(f"  {setup}: done", file=sys.stderr)
    return result


def _child(args) -> int:
    """In a process whose DATABASE_URL is the benchmark's database: migrate, run the scenarios, write JSON."""
    import inspect

    import django

    django.setup()
    from django.core.management import call_command

    from bench.adt_process_run import run_all
    from smartapp.adt.process import adt_process_pending

    call_command("migrate", verbosity=0)
    limit = args.limit or inspect.signature(adt_process_pending).parameters["limit"].default
    modes = args.modes.split(",")
    result = run_all(
        visits=args.visits, updates=args.updates, limit=limit, tag=secrets.token_hex(2), modes=modes
    )
    Path(args.json).write_text(json.dumps({"limit": limit, **result}, indent=2) + "\n")
    return 0


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.adt_process", description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1000, help="(a) burst: visits, 2 messages each")
    parser.add_argument("--updates", type=int, default=300, help="(b) long stay: A08s between A01 and A03")
    parser.add_argument("--limit", type=int, default=0, help="messages per run (default: the listener's)")
    parser.add_argument("--setups", default=",".join(SETUPS), help=f"a subset of {','.join(SETUPS)}")
    parser.add_argument("--baseline", default="default", help="setups that also run with the cache off")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
        help="a PostgreSQL server's database to connect to; the benchmark creates its own next to it",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="off,on", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.setups = [s for s in args.setups.split(",") if s]
    args.baseline = [s for s in args.baseline.split(",") if s]
    if set(args.setups + args.baseline) - set(SETUPS):
        parser.error(f"--setups and --baseline take {','.join(SETUPS)}")
    if args.visits < 1 or args.updates < 0 or args.limit < 0:
        parser.error("--visits >= 1, --updates >= 0, --limit >= 0")
    return args


if __name__ == "__main__":
    sys.exit(main())
