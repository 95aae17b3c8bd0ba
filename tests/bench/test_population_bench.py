"""The population benchmark runs end to end on a tiny panel (SQLite, as the other bench smoke tests) and
reports its table. Timings and memory are printed, never asserted; what each way stored, and that the
three ways stored the same thing, are facts of the sync, so they are."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REFERRALS, PATIENTS = 120, 30  # 4 referrals each; every 4th patient (8) also had a hospital stay
WAYS = ["bulk_tenth", "bulk", "search", "per_patient"]


def test_a_tiny_population_is_synced_three_ways_that_store_the_same_referrals_and_evidence(tmp_path):
    out = tmp_path / "population.json"
    command = [sys.executable, "-m", "bench.population", "--sqlite", "--referrals", str(REFERRALS)]
    command += ["--patients", str(PATIENTS), "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["failed"] == []  # each failed way with the last line of its error
    assert "the ways agree: yes" in done.stdout and "bulk export memory" in done.stdout
    ways = {run["way"]: run for run in report["ways"]}
    assert list(ways) == WAYS
    assert report["seeded"]["ServiceRequest"] == REFERRALS and report["seeded"]["Group"] == 2
    assert report["counts_agree"] is True
    for key in ("bulk", "search", "per_patient"):
        assert ways[key]["stored_by_kind"] == {"discharge": 8, "referral": REFERRALS}, key
        assert ways[key]["evidence_resources"] > REFERRALS, key  # every referral has its Task at least
    # The first tenth of the panel (3 patients, 12 referrals, one hospital stay) through its own Group.
    assert ways["bulk_tenth"]["stored_by_kind"] == {"discharge": 1, "referral": 12}
    # Per patient: at least one search per patient and type; bulk: kick-off, status, files, delete.
    assert ways["per_patient"]["http_requests"] >= PATIENTS * 5
    assert ways["bulk"]["http_requests"] >= 4
    assert set(report["ratios"]) == {
        f"{ways[key]['label']} / bulk export, {what}"
        for key in ("search", "per_patient")
        for what in ("requests", "wall time", "peak RSS")
    }
    assert report["bulk_memory"]["stored_ratio"] > 5
    assert all(run["rss_peak_mib"] >= run["rss_before_mib"] > 0 for run in ways.values())
