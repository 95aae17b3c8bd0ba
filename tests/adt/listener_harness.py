"""A listener in a thread of the test process (its own event loop), and listeners as subprocesses
(`manage.py adt_listen` on a SQLite file, or on the test's PostgreSQL database)."""

import asyncio
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from smartapp.adt.listener import AdtListener, ListenerOptions
from tests.core.sqlite_app import ROOT

LISTENING = re.compile(r"Listening for HL7 v2 ADT \(MLLP\) on ([\d.]+):(\d+)")


class Running:
    """A listener running in a thread: its address, and a thread-safe stop request."""

    def __init__(self, listener: AdtListener, loop: asyncio.AbstractEventLoop):
        self.listener, self.loop = listener, loop
        self.address = listener.address

    def request_stop(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.listener.request_stop)


@contextmanager
def listening(**options):
    """An AdtListener on a free loopback port (processing off unless asked) in a thread; yields a Running
    and stops the listener gracefully on exit."""
    options = {"host": "127.0.0.1", "port": 0, "process": False, **options}
    box, started, stopped = {}, threading.Event(), threading.Event()

    def run():
        async def main():
            listener = AdtListener(ListenerOptions(**options))
            await listener.start()
            box["running"] = Running(listener, asyncio.get_running_loop())
            started.set()
            await listener.serve()

        try:
            asyncio.run(main())
        except BaseException as error:
            box["error"] = repr(error)
            raise
        finally:
            started.set()
            stopped.set()

    thread = threading.Thread(target=run, name="test-adt-listener", daemon=True)
    thread.start()
    assert started.wait(10) and "running" in box, f"the listener did not start: {box.get('error')}"
    try:
        yield box["running"]
    finally:
        box["running"].request_stop()
        assert stopped.wait(40), "the listener did not stop"
        thread.join(5)


class ListenerProcess:
    """`manage.py adt_listen` (or tests/adt/crashing_listener.py) in a process of its own."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, script: str = "manage.py"):
        argv = [sys.executable, script, *(["adt_listen"] if script == "manage.py" else [])]
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [*argv, "--host", "127.0.0.1", "--port", "0", *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.log = log
        self.address = self._wait_listening()

    def _wait_listening(self, timeout: float = 30) -> tuple[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := LISTENING.search(self.log.read_text(errors="replace")):
                return match[1], int(match[2])
            if self.process.poll() is not None:
                raise AssertionError(f"adt_listen exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise AssertionError("adt_listen did not start listening")

    def stop(self) -> int:
        """SIGTERM (a graceful stop) and its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
