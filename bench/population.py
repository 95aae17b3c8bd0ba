"""The population benchmark (issue 13 §4): the first sync of N referrals with their evidence, three ways.

    .venv/bin/python -m bench.population [--referrals 100000] [--patients N/5] [--sqlite]
        [--postgres-url URL] [--latency-ms 0] [--bulk-vendor epic|oracle]
        [--ways bulk_tenth,bulk,search,per_patient] [--tracemalloc] [--server-log PATH] [--json PATH]

On PostgreSQL (or SQLite with `--sqlite`): a sandbox database seeded with the panel and its Groups
(bench/population_seed.py), served by gunicorn on loopback; then each way (bench/population_ways.py) in a
process of its own on a fresh copy of the migrated app database (bench/population_sync.py): Bulk Data
`$export` on the Group (at N/10 too), paged system search, per-patient search over the Group's members.
Prints each way's requests, wall time, resources stored per second and peak memory, whether the ways
stored the same referrals and evidence, and the ratios (bench/population_report.py). It reports and never
gates: the exit code is 0 whatever the numbers.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from bench.population_db import POSTGRES_URL, databases, unreachable
from bench.population_report import build_report, format_report
from bench.population_ways import ways, write_config
from bench.sandbox_server import REPO, _free_port, _start_gunicorn, _wait_healthy, manage

CHILD_TIMEOUT_S = 4 * 3600
WAY_KEYS = ("bulk_tenth", "bulk", "search", "per_patient")


def main(argv=None) -> int:
    args = _parse(argv)
    admin_url = "" if args.sqlite else args.postgres_url
    if admin_url and (problem := unreachable(admin_url)):
        print(f"PostgreSQL unreachable: {problem}; use --sqlite", file=sys.stderr)
        return 2
    every = ways(bulk_vendor=args.bulk_vendor)
    chosen = [way for way in every if way.key in args.ways]
    with (
        tempfile.TemporaryDirectory(prefix="smartapp-bench-pop-") as tmp,
        databases(tmp=Path(tmp), admin_url=admin_url) as dbs,
    ):
        meta, runs = _run(args, chosen, dbs, Path(tmp))
    report = build_report(meta, runs)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _run(args, chosen, dbs, tmp: Path) -> tuple[dict, list[dict]]:
    port = _free_port()
    env = _env(tmp, port)
    sandbox_env = {**env, "DATABASE_URL": dbs.new("sandbox")}
    manage(sandbox_env, "migrate", "--verbosity", "0")
    manage({**env, "DATABASE_URL": dbs.new("template")}, "migrate", "--verbosity", "0")
    for way in chosen:
        write_config(Path(env["LAUNCH_CONFIGS_DIR"]), way, port=port)
    ways_json = _write(tmp / "ways.json", [_way_dict(way) for way in chosen])
    setup = _setup_sandbox(args, sandbox_env, ways_json, tmp)
    if args.latency_ms > 0:
        manage(sandbox_env, "sandbox_fault", "on", "latency_ms", "--value", str(args.latency_ms))
    server = _start_gunicorn(sandbox_env, port, tmp / "server.log")
    try:
        _wait_healthy(env["APP_ORIGIN"], server)
        runs = [_sync_way(way, dbs, env, tmp, args) for way in chosen]
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.server_log:
            shutil.copyfile(tmp / "server.log", args.server_log)
    meta = {
        "referrals": args.referrals,
        "patients": args.patients,
        "database": dbs.vendor,
        "latency_ms": args.latency_ms,
        "page_size": int(env["REFERRAL_SYNC_PAGE_SIZE"]),
        "seeded": setup["seeded"],
        "seed_s": setup["seed_s"],
    }
    return meta, runs


def _setup_sandbox(args, sandbox_env: dict, ways_json: Path, tmp: Path) -> dict:
    out = tmp / "setup.json"
    command = [sys.executable, "-m", "bench.population_setup", "--referrals", str(args.referrals)]
    command += ["--patients", str(args.patients), "--anchor", args.anchor_date, "--out", str(out)]
    command += ["--origin", sandbox_env["APP_ORIGIN"], "--ways-json", str(ways_json)]
    subprocess.run(command, cwd=REPO, env=sandbox_env, check=True, timeout=CHILD_TIMEOUT_S)
    return json.loads(out.read_text())


def _sync_way(way, dbs, env: dict, tmp: Path, args) -> dict:
    out = tmp / f"{way.key}.json"
    way_json = _write(tmp / f"{way.key}-way.json", _way_dict(way))
    command = [sys.executable, "-m", "bench.population_sync", "--way-json", str(way_json), "--out", str(out)]
    if args.tracemalloc:
        command.append("--tracemalloc")
    child_env = {**env, "DATABASE_URL": dbs.copy_template(way.key)}
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO, env=child_env, timeout=CHILD_TIMEOUT_S, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:  # the table still shows the other ways; the last line says why this one failed
        sys.stderr.write(done.stderr)
        lines = [line for line in done.stderr.splitlines() if line[:1].isalpha()] or ["no output"]
        return {"way": way.key, "label": way.label, "error": lines[-1][:300]}
    print(f"  {way.label}: done in {elapsed:.1f} s", file=sys.stderr)
    return json.loads(out.read_text())


def _env(tmp: Path, port: int) -> dict[str, str]:
    configs = tmp / "launch_configs"
    configs.mkdir()
    origin = f"http://127.0.0.1:{port}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query's SQL: memory that is not the sync's
        "APP_ORIGIN": origin,
        "SANDBOX_APP_ORIGINS": origin,
        # Oracle's authorization server is the same sandbox reached by the other loopback name.
        "EGRESS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LAUNCH_CONFIGS_DIR": str(configs),
        "REFERRAL_SYNC_PAGE_SIZE": os.environ.get("REFERRAL_SYNC_PAGE_SIZE", "100"),
        "LOG_LEVEL": "WARNING",
    }


def _way_dict(way) -> dict:
    return {
        **asdict(way),
        "connection": way.connection,
        "public_client": way.public_client,
    }


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


def _parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--referrals", type=int, default=100_000, help="referrals in the panel (default 100000)"
    )
    parser.add_argument(
        "--patients", type=int, default=0, help="patients in the panel (default referrals / 5)"
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite files instead of PostgreSQL")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
        help="a PostgreSQL server's database to connect to; the benchmark creates its own next to it",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every FHIR request (default 0)")
    parser.add_argument("--bulk-vendor", choices=("epic", "oracle"), default="epic")
    parser.add_argument("--server-log", metavar="PATH", help="keep the sandbox server's log there")
    parser.add_argument("--ways", default=",".join(WAY_KEYS), help=f"a subset of {','.join(WAY_KEYS)}")
    parser.add_argument("--tracemalloc", action="store_true", help="also Python's allocation peak (slower)")
    parser.add_argument("--anchor-date", default=date.today().isoformat(), help="the seed's day, YYYY-MM-DD")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    args.ways = [key for key in args.ways.split(",") if key]
    args.patients = args.patients or max(1, args.referrals // 5)
    if args.referrals < 1 or args.latency_ms < 0 or not 1 <= args.patients <= args.referrals:
        parser.error("--referrals >= 1, 1 <= --patients <= --referrals, --latency-ms >= 0")
    if set(args.ways) - set(WAY_KEYS):
        parser.error(f"--ways takes {','.join(WAY_KEYS)}")
    return args


if __name__ == "__main__":
    sys.exit(main())
