"""`manage.py verify_audit` as an operator runs it, in a process of its own on a SQLite file: its stderr
holds nothing but the command's own error (issue 11: "Exception ignored ... closed database" came from the
rows' cursor, left open by a walk that stopped at a break, closed after the connection at exit)."""

import sqlite3

import pytest

from tests.core.sqlite_app import SqliteApp, migrated_sqlite_fixture  # noqa: F401 (the fixture)

EVENTS = 6
WRITE_CHAIN = f"""
from smartapp.audit.services import audit_record
for n in range({EVENTS}):
    audit_record(action="fhir.read", outcome="200", detail={{"n": n}})
"""


@pytest.fixture(scope="module")
def chained_sqlite(tmp_path_factory, migrated_sqlite):
    """A migrated file holding a chain of EVENTS events, written by a process of its own (a template)."""
    app = SqliteApp(tmp_path_factory.mktemp("audit-chain"), migrated_sqlite)
    written = app.manage("shell", "-c", WRITE_CHAIN)
    assert written.returncode == 0, written.stderr[-2000:]
    return app.database


@pytest.fixture
def app(tmp_path, chained_sqlite):
    return SqliteApp(tmp_path, chained_sqlite)


def tamper(app, seq: int) -> None:
    with sqlite3.connect(app.database) as db:  # as the file's owner could, past the append-only trigger
        db.execute("DROP TRIGGER audit_auditevent_no_update")
        db.execute("UPDATE audit_auditevent SET outcome = '403' WHERE seq = ?", [seq])
    db.close()


@pytest.mark.parametrize("chunk", ["2000", "2"])
def test_an_intact_chain_leaves_stderr_empty(app, chunk):
    run = app.manage("verify_audit", "--chunk-size", chunk)
    assert (run.returncode, run.stderr) == (0, "")
    assert f"audit chain intact: {EVENTS} events" in run.stdout


@pytest.mark.parametrize("chunk, seq", [("2000", 1), ("2", 3), ("2000", EVENTS)])
def test_a_broken_chain_prints_only_the_break_on_stderr(app, chunk, seq):
    tamper(app, seq)

    run = app.manage("verify_audit", "--chunk-size", chunk)

    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"CommandError: audit chain broken at seq {seq}: changed (its mac does not match it: altered or "
        f"forged); {seq - 1} events before it are intact"
    ]


def test_a_missing_recorded_head_prints_only_the_break_on_stderr(app):
    run = app.manage("verify_audit", "--expect-head", f"{EVENTS + 5}:{'a' * 64}")
    assert run.returncode == 1
    assert len(run.stderr.splitlines()) == 1 and "truncated" in run.stderr
