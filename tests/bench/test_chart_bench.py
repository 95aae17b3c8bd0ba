"""The chart benchmark runs end to end and reports its structure. Numbers are printed, never asserted."""

import json
import subprocess
import sys
from pathlib import Path

from bench.chart import build_report, format_report
from bench.measure import PatientNumbers, critical_round_trips

REPO = Path(__file__).resolve().parents[2]
ROW_KEYS = {
    "patient",
    "smartapp_ms",
    "smartapp_requests",
    "naive_ms",
    "naive_requests",
    "speedup",
    "critical_round_trips",
    "critical_ms",
    "critical_ratio",
    "render_cpu_ms",
}


def _row(patient="pat-x", **overrides) -> PatientNumbers:
    numbers = dict.fromkeys(ROW_KEYS - {"patient"}, 1.0) | {"patient": patient} | overrides
    return PatientNumbers(**numbers)


def test_tiny_run_starts_the_sandbox_and_reports_both_ways_of_fetching(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "bench.chart", "--latency-ms", "0", "--rounds", "1"]
    command += ["--patients", "typical", "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "smartapp ms" in done.stdout and "naive ms" in done.stdout and "targets:" in done.stdout
    report = json.loads(out.read_text())
    assert (report["latency_ms"], report["rounds"]) == (0, 1)
    row = report["patients"]["typical"]
    assert set(row) == ROW_KEYS
    assert row["patient"] == "pat-001"
    # Patient read + 4 searches at least; the naive way never makes fewer requests than smartapp.
    assert row["smartapp_requests"] >= 5
    assert row["naive_requests"] >= row["smartapp_requests"]
    assert [t["status"] for t in report["targets"]] == ["N/A"]  # no latency, no critical path


def test_critical_path_is_the_longest_search_in_pages_of_200():
    assert critical_round_trips({"MedicationRequest": 520, "DocumentReference": 210, "X": 0}) == 3
    assert critical_round_trips({"AllergyIntolerance": 200}) == 1


def test_critical_path_is_one_round_trip_with_nothing_to_search():
    assert critical_round_trips({}) == 1


def test_targets_on_the_large_patient_pass_or_miss_by_their_limits():
    rows = {"large": _row(speedup=5.0, render_cpu_ms=151.0, critical_ratio=1.5)}

    targets = build_report(rows, latency_ms=50, rounds=3)["targets"]

    assert [(t["name"].split()[0], t["status"]) for t in targets] == [
        ("speedup", "PASS"),
        ("render", "MISS"),
        ("smartapp", "PASS"),
    ]


def test_table_shows_a_dash_for_a_ratio_without_latency():
    report = build_report({"typical": _row("pat-001", critical_ratio=None)}, latency_ms=0, rounds=1)

    text = format_report(report)

    patient_line = text.splitlines()[3].split()
    assert patient_line[0] == "pat-001"
    assert patient_line[7] == "-"  # the smartapp/critical column
    assert "N/A" in text
