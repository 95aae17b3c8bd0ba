"""`manage.py verify_audit` in a process of its own on PostgreSQL (a server-side cursor): its stderr holds
nothing but the command's own error, intact chain or broken (as tests/audit/test_verify_audit_process.py on
SQLite)."""

import subprocess
import sys

import pytest
from django.db import connection

from smartapp.audit.services import audit_record
from tests.core.sqlite_app import ROOT, base_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
TABLE = "audit_auditevent"


def verify(*args) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = base_env("unused")
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def chain():
    return [audit_record(action="fhir.read", outcome="200", detail={"n": n}) for n in range(6)]


def test_an_intact_chain_leaves_stderr_empty(chain):
    run = verify("--chunk-size", "2")
    assert (run.returncode, run.stderr) == (0, "")


def test_a_broken_chain_prints_only_the_break(chain):
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        cursor.execute(f"UPDATE {TABLE} SET outcome = '403' WHERE seq = %s", [chain[2].seq])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")

    run = verify("--chunk-size", "2")

    assert run.returncode == 1
    assert len(run.stderr.splitlines()) == 1 and f"broken at seq {chain[2].seq}: changed" in run.stderr
