"""The ADT processing benchmark runs end to end on a few messages and prints its table. Timings are printed,
never asserted; that every message it stored ended processed (read from the database by the benchmark) and
that each visit put its discharge on the worklist are facts of the processing, so they are."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.adt_process_report import all_processed

REPO = Path(__file__).resolve().parents[2]
VISITS, UPDATES = 4, 5


def run_bench(tmp_path, setup: str) -> tuple[dict, str]:
    out = tmp_path / "adt_process.json"
    command = [sys.executable, "-m", "bench.adt_process", "--setups", setup, "--baseline", setup]
    command += ["--visits", str(VISITS), "--updates", str(UPDATES), "--limit", "3", "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text()), done.stdout


def assert_every_message_processed(report: dict, setup: str) -> None:
    rows = {(row["scenario"], row["cache"]): row for row in report["rows"]}
    assert set(rows) == {(s, c) for s in ("burst", "long_stay") for c in ("off", "on")}
    for (scenario, cache), row in rows.items():
        messages, runs = (2 * VISITS, 3) if scenario == "burst" else (UPDATES + 2, UPDATES + 2)
        assert (row["setup"], row["messages"], row["runs"]) == (setup, messages, runs), (scenario, cache)
        assert row["statuses"] == {"processed": messages}, (scenario, cache)
        assert row["discharges"] == row["visits"] == (VISITS if scenario == "burst" else 1)
        assert row["all_processed"] is True
        assert 0 < row["p50_ms"] <= row["p99_ms"], (scenario, cache)
    assert set(report["ratios"][setup]) == {"burst", "long_stay"}
    assert {"throughput", "last_tenth"} == set(report["ratios"][setup]["long_stay"])


def test_the_default_setup_processes_every_message_with_the_cache_off_and_on(tmp_path):
    report, stdout = run_bench(tmp_path, "default")

    assert_every_message_processed(report, "default")
    assert report["limit"] == 3
    assert "| setup | scenario | parse cache | messages | runs | msgs/s | p50 ms/msg |" in stdout
    assert stdout.count("| default | (a) burst |") == 2 and stdout.count("| default | (b) long stay |") == 2
    assert "default: cache on / off: long stay" in stdout
    assert "every match is reused" in stdout and "no network" in stdout


@pytest.mark.services
def test_the_postgres_setup_uses_a_database_of_its_own_and_processes_every_message(tmp_path):
    report, stdout = run_bench(tmp_path, "postgres")

    assert_every_message_processed(report, "postgres")
    assert "| postgres | (b) long stay |" in stdout


def test_a_message_parked_or_left_pending_is_not_all_processed():
    run = {"messages": 3, "visits": 1, "discharges": 1, "statuses": {"processed": 3}}

    assert all_processed(run)
    assert not all_processed(run | {"statuses": {"processed": 2, "parked": 1}})
    assert not all_processed(run | {"statuses": {"processed": 2, "pending": 1}})
    assert not all_processed(run | {"discharges": 0})
