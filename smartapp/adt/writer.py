"""Group commit: one task stores what every connection has queued, a batch per transaction.

Each connection waits for its message's Stored before it ACKs (STYLE.md 13). Taking all that is queued
into one transaction makes the commit (the fsync) cost once per batch, not once per message: while one
batch commits the next one fills, so batches grow with the load.

A batch waits a little for the connections that are sending (LINGER_SECONDS): with one message in flight
per connection, the connection whose ACK just left sends its next message a fraction of a millisecond
later. Without the wait, 4 busy connections settle into alternate batches of 1 and 3, two commits for 4
messages; with it, one (bench/README.md). A lone connection, or one whose engine pauses, never waits.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import DataError, IntegrityError, close_old_connections, connections

from smartapp.adt import checks
from smartapp.adt.inbox import ACCEPTED, REJECTED, Received, Refused, Stored, inbox_store

logger = logging.getLogger("smartapp.adt")

MAX_BATCH = 200
# Under load no batch pays for a health check (a round trip, a third of an idle batch's time); after a
# pause the connection may have been dropped (a database restart), and is checked before it is used.
CHECK_AFTER_IDLE_SECONDS = 5.0
# How long a batch waits for a sending connection that has no message in it yet, and how recently a
# connection must have sent to count as sending.
LINGER_SECONDS = 0.0015
SENDING_WINDOW_SECONDS = 0.02
UNAVAILABLE = Stored(REJECTED, checks.STORAGE_UNAVAILABLE)


class BatchWriter:
    """Queues Received messages from any connection and stores them in batches on one database thread."""

    def __init__(self, *, listener: str, on_committed: Callable[[], None] = lambda: None):
        self._listener = listener
        self._on_committed = on_committed
        self._queue: asyncio.Queue[tuple[Received | Refused, asyncio.Future, object] | None] = asyncio.Queue()
        self._last_sent: dict[object, float] = {}  # source -> loop time of its last message
        # One thread, so the listener holds one database connection however many engines are connected.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adt-store")
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="adt-writer")

    def submit(self, item: Received | Refused, *, source: object = None) -> asyncio.Future:
        """Queue one message (or a refusal, to be audited) from `source` (its connection); the future gets
        its Stored once its batch committed (or failed)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._last_sent[source] = loop.time()
        self._queue.put_nowait((item, future, source))
        return future

    def forget(self, source: object) -> None:
        """A connection closed: no batch waits for it."""
        self._last_sent.pop(source, None)

    async def close(self) -> None:
        """Store what is queued, then stop."""
        self._queue.put_nowait(None)
        if self._task is not None:
            await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            batch, stopping = await self._next_batch()
            if not batch:
                continue
            items = [item for item, _, _ in batch]
            results = await loop.run_in_executor(self._executor, store_batch, items, self._listener)
            for (_, future, _), stored in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(stored)
            if any(stored.outcome == ACCEPTED for stored in results):
                self._on_committed()

    async def _next_batch(self) -> tuple[list, bool]:
        first = await self._queue.get()
        if first is None:
            return [], True
        loop = asyncio.get_running_loop()
        batch, deadline = [first], loop.time() + LINGER_SECONDS
        while len(batch) < MAX_BATCH:
            if self._queue.empty():
                wait = deadline - loop.time()
                if wait <= 0 or not self._sending_without_message(batch, loop.time()):
                    break
                try:
                    entry = await asyncio.wait_for(self._queue.get(), wait)
                except TimeoutError:
                    break
            else:
                entry = self._queue.get_nowait()
            if entry is None:
                return batch, True
            batch.append(entry)
        return batch, False

    def _sending_without_message(self, batch: list, now: float) -> bool:
        in_batch = {source for _, _, source in batch}
        recent = now - SENDING_WINDOW_SECONDS
        return any(at >= recent and source not in in_batch for source, at in self._last_sent.items())


def store_batch(items: list[Received | Refused], listener: str) -> list[Stored]:
    """inbox_store on this thread's connection, never raising: a database that is down gives every message
    STORAGE_UNAVAILABLE (AE 207: the engine resends); a message the database refuses (a value too long for
    its column) is found by storing the batch one by one and rejected alone, so it cannot sink the others."""
    _check_after_idle()
    try:
        stored = inbox_store(items, listener=listener)
    except (DataError, IntegrityError) as error:
        logger.warning("adt.store_refused count=%d error=%s", len(items), type(error).__name__)
        if len(items) == 1:
            return [Stored(REJECTED, checks.UNPARSEABLE)]
        return [result for item in items for result in store_batch([item], listener)]
    except Exception as error:  # noqa: BLE001  the database is down, or a bug: the engine resends either way
        # The error's class only: a database's message may quote a value.
        logger.error("adt.store_failed count=%d error=%s", len(items), type(error).__name__)
        close_old_connections()  # a broken connection is dropped: the next batch opens a new one
        # A refused message keeps its own answer: only its audit event was lost with the batch.
        return [Stored(REJECTED, it.problem) if isinstance(it, Refused) else UNAVAILABLE for it in items]
    logger.debug("adt.stored count=%d accepted=%d", len(items), sum(s.outcome == ACCEPTED for s in stored))
    return stored


_last_use = threading.local()


def _check_after_idle() -> None:
    now = time.monotonic()
    if now - getattr(_last_use, "at", float("-inf")) > CHECK_AFTER_IDLE_SECONDS:
        close_old_connections()  # with CONN_HEALTH_CHECKS: the next query first checks the connection
    _last_use.at = now
