"""The ADT feed benchmark runs end to end on a few messages and reports its table. Timings are printed, never
asserted; how many messages were ACKed, stored and audited, and that each was stored once, are facts of the
listener, so they are."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.adt_report import build_report

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 40


def run_bench(tmp_path, setup: str) -> tuple[dict, str]:
    out = tmp_path / "adt.json"
    command = [sys.executable, "-m", "bench.adt", "--setups", setup, "--messages", str(MESSAGES)]
    command += ["--warmup", "0", "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text()), done.stdout


def assert_each_message_stored_once(report: dict, setup: str) -> None:
    runs = {run["mode"]: run for run in report["runs"]}
    assert list(runs) == ["durable", "ack-before-store"]
    for mode, run in runs.items():
        assert (run["setup"], run["connections"], run["messages"]) == (setup, 4, MESSAGES), mode
        assert run["refused"] == {}, mode  # every message was answered AA
        assert run["acked"] == run["rows"] == run["audit_events"] == MESSAGES, mode
        assert run["exactly_once"] is True, mode
        assert 0 < run["p50_ms"] <= run["p99_ms"] <= run["max_ms"], mode
    # Store, then acknowledge: when the last ACK was read, every ACKed message was already committed.
    assert runs["durable"]["unstored_at_last_ack"] == 0
    assert set(report["ratios"][setup]) == {"throughput", "p99"}


def test_the_default_setup_acks_and_stores_each_message_exactly_once_in_both_modes(tmp_path):
    report, stdout = run_bench(tmp_path, "default")

    assert_each_message_stored_once(report, "default")
    assert "msgs/s" in stdout and "p99 ms" in stdout and "durable / ack-before-store" in stdout
    assert report["message_bytes"] > 1000  # realistic A03s: PID, PV1, DG1 and the rest, about 1 KB
    assert report["target"]["status"] == "NOT RUN"  # the target is PostgreSQL's


@pytest.mark.services
def test_the_postgres_setup_uses_a_database_of_its_own_and_stores_each_message_once(tmp_path):
    report, stdout = run_bench(tmp_path, "postgres")

    assert_each_message_stored_once(report, "postgres")
    assert report["target"]["status"] in ("PASS", "MISS") and "target:" in stdout


def run_row(mode: str, msgs_per_s: float, p99_ms: float, *, once: bool = True) -> dict:
    return {"setup": "postgres", "mode": mode, "connections": 4, "msgs_per_s": msgs_per_s, "p99_ms": p99_ms,
            "exactly_once": once}  # fmt: skip


@pytest.mark.parametrize(
    ("rate", "p99", "once", "status"),
    [(1200, 40, True, "PASS"), (900, 40, True, "MISS"), (1200, 50, True, "MISS"), (1200, 40, False, "MISS")],
)
def test_the_target_needs_the_rate_the_p99_and_every_message_stored_once(rate, p99, once, status):
    runs = [run_row("durable", rate, p99, once=once), run_row("ack-before-store", 2 * rate, p99 / 2)]

    report = build_report({}, runs, notes=[])

    assert report["target"]["status"] == status
    assert report["ratios"] == {"postgres": {"throughput": 0.5, "p99": 2.0}}
