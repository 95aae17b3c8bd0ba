"""Group commit: one task stores what every connection has queued, a batch per transaction.

Each connection waits for its message's Stored before it ACKs (STYLE.md 13). Taking all that is queued
into one transaction makes the commit (the fsync) cost once per batch, not once per message: while one
batch commits the next one fills, so batches grow with the load.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import DataError, IntegrityError, close_old_connections, connections

from smartapp.adt import checks
from smartapp.adt.inbox import ACCEPTED, REJECTED, Received, Refused, Stored, inbox_store

logger = logging.getLogger("smartapp.adt")

MAX_BATCH = 200
UNAVAILABLE = Stored(REJECTED, checks.STORAGE_UNAVAILABLE)


class BatchWriter:
    """Queues Received messages from any connection and stores them in batches on one database thread."""

    def __init__(self, *, listener: str, on_committed: Callable[[], None] = lambda: None):
        self._listener = listener
        self._on_committed = on_committed
        self._queue: asyncio.Queue[tuple[Received, asyncio.Future] | None] = asyncio.Queue()
        # One thread, so the listener holds one database connection however many engines are connected.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adt-store")
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="adt-writer")

    def submit(self, item: Received | Refused) -> asyncio.Future:
        """Queue one message (or a refusal, to be audited); the future gets its Stored once its batch
        committed (or failed)."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return future

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
            items = [item for item, _ in batch]
            results = await loop.run_in_executor(self._executor, store_batch, items, self._listener)
            for (_, future), stored in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(stored)
            if any(stored.outcome == ACCEPTED for stored in results):
                self._on_committed()

    async def _next_batch(self) -> tuple[list, bool]:
        first = await self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH and not self._queue.empty():
            entry = self._queue.get_nowait()
            if entry is None:
                return batch, True
            batch.append(entry)
        return batch, False


def store_batch(items: list[Received | Refused], listener: str) -> list[Stored]:
    """inbox_store on this thread's connection, never raising: a database that is down gives every message
    STORAGE_UNAVAILABLE (AE 207: the engine resends); a message the database refuses (a value too long for
    its column) is found by storing the batch one by one and rejected alone, so it cannot sink the others."""
    close_old_connections()  # as Django does around a request: drop a connection that is broken or too old
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
        # A refused message keeps its own answer: only its audit event was lost with the batch.
        return [Stored(REJECTED, it.problem) if isinstance(it, Refused) else UNAVAILABLE for it in items]
    finally:
        close_old_connections()
    logger.debug("adt.stored count=%d accepted=%d", len(items), sum(s.outcome == ACCEPTED for s in stored))
    return stored
