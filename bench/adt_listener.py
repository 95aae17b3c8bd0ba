"""The ADT benchmark's listener: `manage.py adt_listen --no-process` in a process of its own on a fresh
database, and what that database holds afterwards (read with the driver directly: the benchmark process
never sets Django up, so it stays a light load generator).
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.sandbox_server import REPO

LISTENING = re.compile(r"Listening for HL7 v2 ADT \(MLLP\) on ([\d.]+):(\d+)")
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0
BASELINE_FLAG = "--benchmark-ack-before-store"


def listener_env(tmp: Path) -> dict[str, str]:
    """The listener's environment (without DATABASE_URL): the shipped sandbox registration only, whose
    `[adt] facilities` holds the messages' MSH-4; DEBUG off, since DEBUG keeps every query's SQL."""
    configs = tmp / "launch_configs"
    configs.mkdir(exist_ok=True)
    shutil.copyfile(REPO / "launch_configs" / "sandbox.toml", configs / "sandbox.toml")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "ADT_"))}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
        "DJANGO_DEBUG": "false",
        "LAUNCH_CONFIGS_DIR": str(configs),
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class Listener:
    process: subprocess.Popen
    address: tuple[str, int]

    def cpu_seconds(self) -> float | None:
        """The listener's user + system CPU time so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_listener(env: dict[str, str], log: Path, *, ack_before_store: bool):
    """A listener on a free loopback port; SIGTERM on exit, which stores and ACKs what it had read before
    it exits."""
    argv = [sys.executable, "manage.py", "adt_listen", "--host", "127.0.0.1", "--port", "0", "--no-process"]
    argv += [BASELINE_FLAG] if ack_before_store else []
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Listener(process, _wait_listening(process, log))
    finally:
        _stop(process)


def _wait_listening(process: subprocess.Popen, log: Path) -> tuple[str, int]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if match := LISTENING.search(log.read_text(errors="replace")):
            return match[1], int(match[2])
        if process.poll() is not None:
            raise RuntimeError(f"adt_listen exited with code {process.returncode}: see {log}")
        time.sleep(0.05)
    raise RuntimeError(f"adt_listen did not start listening within {STARTUP_TIMEOUT_S:.0f}s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Inbox:
    """What the database holds: inbound messages and their "adt.received" audit events."""

    control_ids: list[str]
    audit_events: int


def stored_count(url: str) -> int:
    """How many inbound messages are committed right now."""
    return _query(url, "SELECT count(*) FROM adt_inboundmessage")[0][0]


def read_inbox(url: str) -> Inbox:
    rows = _query(url, "SELECT control_id FROM adt_inboundmessage")
    audited = _query(url, "SELECT count(*) FROM audit_auditevent WHERE action = 'adt.received'")
    return Inbox(control_ids=[row[0] for row in rows], audit_events=audited[0][0])


def _query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()
