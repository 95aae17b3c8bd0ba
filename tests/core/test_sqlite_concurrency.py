"""The default setup (bin/run) under load: web and worker processes share one SQLite file.

Twenty clinicians launch at once while the worker syncs referrals from the sandbox; then every grant's
access token expires and sixty chart loads run at once (three per launch: one refreshes, two wait for
it), the worker still syncing. Nothing may answer 5xx, no sync may fail, and no process may log
"database is locked" (issue 11: 3 of 6 parallel chart loads failed after a token expiry, and about 1
chart load in 160 while a sync ran, in audit_record).
"""

import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from smartapp.sandbox.synthetic import catalog
from tests.core.sqlite_app import migrated_sqlite_fixture, sqlite_app_fixture  # noqa: F401 (fixtures)
from tests.launch.conftest import ehr_launch, launch_id_of

PATIENTS = [p for p in catalog.PATIENT_IDS if p != catalog.LARGE_PATIENT_ID][:20]
LOADS_PER_LAUNCH = 3
SYNC_CONNECTION = "smartapp.referrals.tasks.sync_connection"
SYNC_PATIENT = "smartapp.referrals.tasks.sync_patient"


def _answer(response: requests.Response) -> tuple[int, str]:
    """(status, "path: title of an error page"): enough to tell which step failed and why. A chart's own
    title names its patient, so only an error page's title (fixed words) is kept."""
    title = re.search(r"<title>(.*?)</title>", response.text, re.S) if response.status_code >= 400 else None
    path = requests.utils.urlparse(response.url).path
    return response.status_code, f"{path}: {title.group(1).strip() if title else ''}"


def _launch(app, patient: str) -> tuple[requests.Session, str, list[tuple[int, str]]]:
    """(browser, launch id or "" if the launch failed, the answer of every response on the way)."""
    browser = requests.Session()
    chart = ehr_launch(browser, app.url, patient)
    launched = chart.status_code == 200 and "/chart/" in chart.url
    return browser, launch_id_of(chart) if launched else "", [_answer(r) for r in (*chart.history, chart)]


def _load(app, browser: requests.Session, launch_id: str) -> tuple[int, str]:
    return _answer(browser.get(f"{app.url}/chart/{launch_id}/", timeout=60))


def _expire_every_grant(app) -> None:
    """As if every access token ran out: the next chart load of each launch refreshes it."""
    with sqlite3.connect(app.database, timeout=30) as db:
        db.execute("UPDATE launch_grant SET expires_at = '2000-01-01 00:00:00'")
    db.close()


def _syncs(app) -> list[str]:
    with sqlite3.connect(app.database, timeout=30) as db:
        rows = db.execute("SELECT outcome FROM audit_auditevent WHERE action = 'referrals.sync'").fetchall()
    db.close()
    return [outcome for (outcome,) in rows]


def test_parallel_chart_loads_after_a_token_expiry_while_the_worker_syncs_never_fail(sqlite_app):
    app = sqlite_app
    app.web(wait=False)  # both start while the sandbox is seeded; no task is sent before it is
    app.worker()
    app.seed()
    app.wait_for_web()
    app.send(SYNC_CONNECTION, "sandbox")
    for patient in PATIENTS:
        app.send(SYNC_PATIENT, "sandbox", patient)
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=len(PATIENTS) * LOADS_PER_LAUNCH) as pool:
        launches = list(pool.map(lambda patient: _launch(app, patient), PATIENTS))
        _expire_every_grant(app)
        loads = [(browser, launch_id) for browser, launch_id, _ in launches if launch_id] * LOADS_PER_LAUNCH
        statuses = list(pool.map(lambda load: _load(app, *load), loads))
    while len(_syncs(app)) < 1 + len(PATIENTS) and time.monotonic() - started < 40:
        time.sleep(0.2)
    for browser, _, _ in launches:
        browser.close()

    launch_answers = [answer for _, _, answers in launches for answer in answers]
    failures = [answer for answer in launch_answers + statuses if answer[0] >= 500]
    assert failures == [], (failures, app.log("web")[-3000:])
    assert len(statuses) >= 50 and {status for status, _ in statuses} == {200}, statuses
    assert _syncs(app) == ["complete"] * (1 + len(PATIENTS))
    for name in ("web", "worker"):
        assert "database is locked" not in app.log(name), app.log(name)[-3000:]
