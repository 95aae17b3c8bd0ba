"""smartapp as bin/run starts it, on a SQLite file of its own: web (runserver), a Celery worker on a
filesystem broker, and `manage.py` commands, all separate processes sharing one database file.

The file is migrated once per test session (the `migrated_sqlite` fixture) and copied for each app
(`SqliteApp`).
Every process listens on or talks to 127.0.0.1 only.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection

from smartapp.celery import app as celery_app
from tests.services.brokers import filesystem_broker

ROOT = Path(__file__).resolve().parents[2]
DB_FILE = "smartapp.sqlite3"


def base_env(database: Path) -> dict[str, str]:
    """The environment of bin/run's processes (development defaults) on `database`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "CELERY_"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session", name="migrated_sqlite")
def migrated_sqlite_fixture(tmp_path_factory) -> Path:
    """A SQLite file with every migration applied (a template: copy it, never use it)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    database = folder / DB_FILE
    env = {**base_env(database), "CELERY_BROKER_DIR": str(folder / "broker")}
    run = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SqliteApp:
    """One app on a copy of the migrated file in `folder`; processes are logged to `folder/<name>.log`."""

    def __init__(self, folder: Path, template: Path):
        self.folder = folder
        self.database = folder / DB_FILE
        shutil.copyfile(template, self.database)
        self.url = f"http://127.0.0.1:{free_port()}"
        (folder / "broker").mkdir()
        self.broker_url, self.broker_options, broker_env = filesystem_broker(folder / "broker")
        self.env = {
            **base_env(self.database),
            **broker_env,
            "CELERY_BROKER_URL": self.broker_url,
            "APP_ORIGIN": self.url,
            "SANDBOX_APP_ORIGINS": self.url,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def seed(self) -> None:
        """The sandbox's synthetic patients and the app's clients registered for this app's origin."""
        seeded = self.manage("seed_sandbox", "--no-synthea")
        assert seeded.returncode == 0, seeded.stderr[-2000:]

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "w") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def web(self, *, wait: bool = True) -> None:
        """runserver, as Procfile.dev starts it (threaded); with `wait`, once it answers."""
        port = self.url.rsplit(":", 1)[1]
        self.start("web", sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}")
        if wait:
            self.wait_for_web()

    def wait_for_web(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.processes["web"].poll() is not None:
                pytest.fail(f"runserver exited: {self.log('web')[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        pytest.fail("runserver did not answer")

    def worker(self) -> subprocess.Popen:
        """A Celery worker as Procfile.dev starts it (one process), on this app's filesystem broker."""
        return self.start(
            "worker", sys.executable, "-m", "celery", "--app", "smartapp", "worker", "--pool", "solo",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
        )  # fmt: skip

    def send(self, task: str, *args) -> None:
        with Connection(self.broker_url, transport_options=self.broker_options) as conn:
            celery_app.send_task(task, args=list(args), connection=conn)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to whatever still runs a second later: the test is over, and a Celery
        worker's warm shutdown alone takes seconds."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 1
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(name="sqlite_app")
def sqlite_app_fixture(tmp_path, migrated_sqlite):
    app = SqliteApp(tmp_path, migrated_sqlite)
    yield app
    app.stop()
