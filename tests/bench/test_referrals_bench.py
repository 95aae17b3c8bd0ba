"""The follow-up benchmark runs end to end on a small panel and reports its structure. Timings are printed,
never asserted; the request counts are facts of the sync, so they are."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_small_panel_is_synced_in_full_then_incrementally_and_the_worklist_rendered(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "bench.referrals", "--referrals", "60", "--change", "0.1"]
    command += ["--latency-ms", "0", "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stderr
    assert "incremental" in done.stdout and "targets:" in done.stdout
    report = json.loads(out.read_text())
    full, incremental = report["full"], report["incremental"]
    assert (report["referrals"], report["changed"]) == (60, 6)
    assert full["referrals"] == incremental["referrals"] == 60
    assert full["created"] > 60 and full["updated"] == 0
    assert incremental["updated"] == 6 and incremental["created"] == 0
    assert incremental["requests"] == incremental["watermarks"]  # 6 changes fit in one page per type
    assert report["worklist"]["rows"] == 10  # every sixth referral is built overdue
    assert report["targets"][0]["status"] == "PASS"  # the request target; the time target is only printed
