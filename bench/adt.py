"""The ADT feed benchmark (issue 14 §6): sustained throughput and ACK latency of `manage.py adt_listen`.

    .venv/bin/python -m bench.adt [--seconds 10 | --messages N] [--warmup 2] [--connections 4]
        [--setups default,postgres] [--modes durable,ack-before-store] [--postgres-url URL] [--json PATH]

For each setup (default: a SQLite file in WAL mode, as bin/run; postgres: a database created on the
server and dropped at the end, skipped with a note when unreachable) and each mode (durable: store, commit,
then ACK; ack-before-store: the listener's benchmark-only baseline), a fresh migrated database and a fresh
listener (`--no-process`: the ingest path only). The connections (bench/adt_load.py) send realistic A03
messages (bench/adt_messages.py) one after another, each waiting for its ACK. Afterwards the database must
hold every ACKed message exactly once. Prints the table (bench/adt_report.py); never gates: exit code 0.
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.adt_listener import listener_env, read_inbox, running_listener, stored_count
from bench.adt_load import Plan, run_load
from bench.adt_messages import MessageFactory
from bench.adt_report import BASELINE, DURABLE, build_report, format_report, summarise
from bench.population_db import POSTGRES_URL, databases, unreachable
from bench.sandbox_server import manage

SETUPS, MODES = ("default", "postgres"), (DURABLE, BASELINE)


def main(argv=None) -> int:
    args = _parse(argv)
    factory = MessageFactory.build(secrets.token_hex(3), now=datetime.now(UTC))
    plan = Plan(args.connections, args.warmup, args.seconds, args.messages)
    runs, notes = [], []
    with tempfile.TemporaryDirectory(prefix="smartapp-bench-adt-") as tmp:
        for setup in args.setups:
            runs += _run_setup(setup, args, factory, plan, Path(tmp), notes)
    measure = f"{args.messages} messages" if args.messages else f"{args.seconds:g} s"
    meta = {
        "connections": args.connections,
        "message_bytes": len(factory.frame(0, 0)[1]) - 3,  # without the MLLP blocks
        "measure": measure,
        "warmup_s": args.warmup,
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    report = build_report(meta, runs, notes)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _run_setup(setup: str, args, factory, plan: Plan, tmp: Path, notes: list[str]) -> list[dict]:
    admin_url = args.postgres_url if setup == "postgres" else ""
    if admin_url and (problem := unreachable(admin_url)):
        notes.append(f"postgres skipped: {problem}")
        return []
    folder = tmp / setup
    folder.mkdir()
    env = listener_env(folder)
    runs = []
    with databases(tmp=folder, admin_url=admin_url) as dbs:
        dbs.prefix = f"smartapp_bench_adt_{os.getpid()}"
        manage({**env, "DATABASE_URL": dbs.new("template")}, "migrate", "--verbosity", "0")
        for mode in args.modes:
            url = dbs.copy_template(mode.replace("-", "_"))
            runs.append(_run_mode(setup, mode, {**env, "DATABASE_URL": url}, url, factory, plan, folder))
    return runs


def _run_mode(setup: str, mode: str, env: dict, url: str, factory, plan: Plan, folder: Path) -> dict:
    log = folder / f"{mode}.log"
    with running_listener(env, log, ack_before_store=mode == BASELINE) as listener:
        cpu_before = listener.cpu_seconds()
        load = run_load(listener.address, factory, plan)
        cpu_after = listener.cpu_seconds()
        snapshot = stored_count(url)
    inbox = read_inbox(url)  # after the graceful stop: what the listener had read is stored by now
    listener_cpu = cpu_after - cpu_before if None not in (cpu_before, cpu_after) else None
    row = summarise(
        setup,
        mode,
        load,
        connections=plan.connections,
        snapshot=snapshot,
        inbox=inbox,
        listener_cpu_s=listener_cpu,
    )
    print(f"  {setup} {mode}: {row['messages']} messages, {row['msgs_per_s']:.0f} msg/s", file=sys.stderr)
    return row


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.adt", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the measured window (default 10)")
    parser.add_argument("--messages", type=int, default=0, help="measure N messages instead of a window")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds sent but not measured (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="MLLP connections (default 4)")
    parser.add_argument("--setups", default=",".join(SETUPS), help=f"a subset of {','.join(SETUPS)}")
    parser.add_argument("--modes", default=",".join(MODES), help=f"a subset of {','.join(MODES)}")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
        help="a PostgreSQL server's database to connect to; the benchmark creates its own next to it",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    args.setups = [s for s in args.setups.split(",") if s]
    args.modes = [m for m in args.modes.split(",") if m]
    if set(args.setups) - set(SETUPS) or set(args.modes) - set(MODES):
        parser.error(f"--setups takes {','.join(SETUPS)}; --modes takes {','.join(MODES)}")
    if args.connections < 1 or args.messages < 0 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--connections >= 1, --messages >= 0, --seconds > 0, --warmup >= 0")
    return args


if __name__ == "__main__":
    sys.exit(main())
