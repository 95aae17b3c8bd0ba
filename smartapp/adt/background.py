"""The listener's processing thread: processes what a committed batch stored within a second, then sends
the application ACKs processing decided, without ever holding up an ACK on a connection (it runs beside
the event loop, on a database connection of its own). Beat's sweep (tasks.process_pending) covers what a
stopped listener left."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from smartapp.adt.app_acks import app_acks_send

logger = logging.getLogger("smartapp.adt")

MAX_ROUNDS = 1000  # a bound on one wake-up's rounds, so a stop request is seen


class ProcessingThread(threading.Thread):
    """Calls adt_process_pending until it finds nothing to do, after each wake() and every sweep interval."""

    def __init__(self, *, holder: str):
        super().__init__(name="adt-process", daemon=True)
        self._holder = holder
        self._wanted = threading.Event()
        self._stopped = threading.Event()

    def wake(self) -> None:
        """A batch committed: process it now (thread-safe)."""
        self._wanted.set()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._wanted.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stopped.is_set():
            self._wanted.wait(settings.ADT_SWEEP_SECONDS)
            self._wanted.clear()
            if self._stopped.is_set():
                break
            close_old_connections()
            try:
                self._process()
                app_acks_send()
            except Exception as error:  # noqa: BLE001  the next wake-up tries again; the class only (PHI)
                logger.error("adt.process_failed error=%s", type(error).__name__)
            finally:
                close_old_connections()
        connections.close_all()

    def _process(self) -> None:
        from smartapp.adt.process import adt_process_pending  # noqa: PLC0415  processing's own module

        for _ in range(MAX_ROUNDS):
            report = adt_process_pending(holder=self._holder)
            # Only retries left (the EHR is down): wait for the next wake-up rather than ask again at once.
            if self._stopped.is_set() or not (report.processed + report.parked + report.ignored):
                return
