"""The fault table under concurrent FHIR requests: a statement SQLite refused with "database table is
locked" (SQLITE_LOCKED, shared-cache connections: no busy timeout) is tried again; other errors are not."""

import pytest
from django.db import OperationalError

from smartapp.sandbox import faults


def _refused(times: int, message: str = "database table is locked: sandbox_fault"):
    calls = []

    def statement():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError(message)
        return "done"

    return statement, calls


def test_a_locked_table_is_tried_again_until_the_statement_runs(monkeypatch):
    monkeypatch.setattr(faults.time, "sleep", lambda seconds: None)
    statement, calls = _refused(3)
    assert faults._when_unlocked(statement) == "done" and len(calls) == 4


def test_a_table_that_stays_locked_raises_after_the_last_attempt(monkeypatch):
    monkeypatch.setattr(faults.time, "sleep", lambda seconds: None)
    statement, calls = _refused(100)
    with pytest.raises(OperationalError):
        faults._when_unlocked(statement, attempts=5)
    assert len(calls) == 5


def test_any_other_database_error_is_not_tried_again():
    statement, calls = _refused(1, message="no such table: sandbox_fault")
    with pytest.raises(OperationalError):
        faults._when_unlocked(statement)
    assert len(calls) == 1
