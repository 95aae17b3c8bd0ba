"""The HL7 v2 ADT listener (`manage.py adt_listen`, docs/adt.md): an asyncio MLLP server.

Connections (connections.py) read (quick_read.py) and check each frame; the BatchWriter (writer.py)
group-commits what all of them queued; a message is ACKed only after its batch committed (STYLE.md 13).
After each committed batch the processing thread (background.py) processes what was stored, off the event
loop.
"""

import asyncio
import logging
import os
import signal
import socket
from dataclasses import dataclass

from django.conf import settings

from smartapp.adt import tls
from smartapp.adt.background import ProcessingThread
from smartapp.adt.connections import ConnectionRules, MllpConnection
from smartapp.adt.writer import BatchWriter

logger = logging.getLogger("smartapp.adt")

STOP_GRACE_SECONDS = 30.0  # how long a stop waits for the ACKs of messages already read


@dataclass(frozen=True)
class ListenerOptions:
    host: str = ""  # "" = settings.ADT_HOST
    port: int | None = None  # None = settings.ADT_PORT; 0 = any free port
    process: bool = True  # False: store and ACK only (processing left to beat's sweep)
    ack_before_store: bool = False  # the benchmark's baseline: ACK first, then store. Never in production


def listener_id() -> str:
    """This process, as InboundMessage.listener and the processing claim's holder (<= 32 characters)."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}"


class AdtListener:
    """One listening socket, its connections, its batch writer and its processing thread."""

    def __init__(self, options: ListenerOptions):
        if options.ack_before_store and settings.PRODUCTION:
            raise tls.ListenerRefused("--benchmark-ack-before-store is refused in production: it ACKs first.")
        self.options = options
        self.id = listener_id()
        self.rules = ConnectionRules(
            networks=tls.allowed_networks(),
            tls_context=tls.server_context(),
            max_bytes=settings.ADT_MAX_MESSAGE_BYTES,
            idle_seconds=settings.ADT_IDLE_SECONDS,
            ack_before_store=options.ack_before_store,
        )
        self.address: tuple[str, int] | None = None
        self._processing = ProcessingThread(holder=self.id) if options.process else None
        self._connections: dict[asyncio.Task, MllpConnection] = {}
        self._server: asyncio.Server | None = None
        self._writer: BatchWriter | None = None
        self._stop = asyncio.Event()

    async def start(self) -> tuple[str, int]:
        """Bind and accept; returns the address bound (the port when 0 was asked for)."""
        wake = self._processing.wake if self._processing else (lambda: None)
        self._writer = BatchWriter(listener=self.id, on_committed=wake)
        self._writer.start()
        if self._processing:
            self._processing.start()
        host = self.options.host or settings.ADT_HOST
        port = settings.ADT_PORT if self.options.port is None else self.options.port
        # No ssl= here: the source check comes before the TLS handshake (connections.py starts TLS).
        self._server = await asyncio.start_server(self._accept, host, port)
        self.address = self._server.sockets[0].getsockname()[:2]
        logger.warning(
            "adt.listening host=%s port=%d tls=%s", *self.address, self.rules.tls_context is not None
        )
        return self.address

    def request_stop(self) -> None:
        """Stop accepting, finish what was read, close (call on the loop; signal handlers do)."""
        self._stop.set()

    async def serve(self) -> None:
        """Start, run until request_stop(), then stop gracefully."""
        if self._server is None:
            await self.start()
        await self._stop.wait()
        await self.stop()

    async def stop(self) -> None:
        self._server.close()
        for connection in self._connections.values():
            connection.stop_reading()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=STOP_GRACE_SECONDS)
        await self._writer.close()
        if self._processing:
            await asyncio.to_thread(self._processing.stop)
        logger.warning("adt.stopped")

    async def _accept(self, reader, writer) -> None:
        if len(self._connections) >= settings.ADT_MAX_CONNECTIONS or self._stop.is_set():
            peer = writer.get_extra_info("peername")
            logger.warning("adt.refused peer=%s reason=too_many_connections", peer[0] if peer else "")
            writer.close()
            return
        connection = MllpConnection(reader, writer, rules=self.rules, store=self._writer)
        task = asyncio.current_task()
        self._connections[task] = connection
        try:
            await connection.serve()
        finally:
            del self._connections[task]


def adt_listen(options: ListenerOptions, *, on_listening=None) -> None:
    """Run a listener in this thread until SIGTERM or SIGINT."""

    async def main() -> None:
        listener = AdtListener(options)
        address = await listener.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, listener.request_stop)
        if on_listening:
            on_listening(address)
        await listener.serve()

    asyncio.run(main())
