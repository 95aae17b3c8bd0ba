"""A throwaway sandbox EHR for the benchmark: its own SQLite file, seeded, served by gunicorn on loopback.

The benchmark process and the server share the database file through `DATABASE_URL`, so tokens minted in
the benchmark process are valid on the server.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
ANCHOR_DATE = "2026-01-15"  # fixed so the seeded data (and the numbers) are the same on every run
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Sandbox:
    origin: str  # http://127.0.0.1:PORT
    env: dict[str, str]

    @property
    def fhir_base(self) -> str:
        return f"{self.origin}/sandbox/fhir"


# Only the generated patients: the numbers stay comparable with runs from before the Synthea fixtures.
SEED_PATIENTS = (("seed_sandbox", "--anchor-date", ANCHOR_DATE, "--no-synthea"),)


@contextmanager
def running_sandbox(*, latency_ms: int, seed_commands=SEED_PATIENTS):
    """Create, seed and serve a sandbox with `latency_ms` added to every FHIR request; stop it on exit.

    `seed_commands` are the manage.py commands that fill it (default: the synthetic patients).
    Also exports its environment into os.environ, so a later `django.setup()` here uses the same database.
    """
    with tempfile.TemporaryDirectory(prefix="smartapp-bench-") as tmp:
        port = _free_port()
        env = _server_env(Path(tmp), port)
        os.environ.update(env)
        manage(env, "migrate", "--verbosity", "0")
        for command in seed_commands:
            manage(env, *command)
        if latency_ms > 0:
            manage(env, "sandbox_fault", "on", "latency_ms", "--value", str(latency_ms))
        server = _start_gunicorn(env, port, Path(tmp) / "server.log")
        try:
            sandbox = Sandbox(origin=f"http://127.0.0.1:{port}", env=env)
            _wait_healthy(sandbox.origin, server)
            yield sandbox
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "EGRESS_ALLOWED_HOSTS": "127.0.0.1",
        "APP_ORIGIN": f"http://127.0.0.1:{port}",
        "SANDBOX_APP_ORIGINS": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    """Run a manage.py command against the benchmark's sandbox database."""
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL
    )


def _start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    # Threads, so the chart's concurrent searches never queue behind each other; two processes, so the
    # server's own Python work is not one GIL, as no real EHR's is.
    command = [sys.executable, "-m", "gunicorn", "smartapp.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "8", "--log-level", "warning"]
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)


def _wait_healthy(origin: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the sandbox server exited with code {server.returncode}")
        try:
            if requests.get(f"{origin}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the sandbox server did not answer /healthz within {STARTUP_TIMEOUT_S:.0f}s")
