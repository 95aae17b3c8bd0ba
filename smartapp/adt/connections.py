"""One engine's MLLP connection: frames in, one ACK per message out, in the order the messages came.

A message that checks out goes to the BatchWriter and is ACKed once its batch committed (STYLE.md 13); one
that does not (too large, unparseable, an event smartapp does not take) is answered AR/AE with an ERR at
once and never stored. Logs name the peer address, control ids, counts and reason codes only: never
message content (PHI).
"""

import asyncio
import logging
import secrets
import socket
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass

from django.utils import timezone

from smartapp.adt import checks, framing, tls
from smartapp.adt.ack import accept_ack_wanted, ack_payload
from smartapp.adt.checks import Problem, message_problem
from smartapp.adt.contents import Header
from smartapp.adt.inbox import ACCEPTED, Received, Refused, Stored
from smartapp.adt.parse import Unparseable, read_header
from smartapp.adt.quick_read import quick_read
from smartapp.adt.writer import BatchWriter

logger = logging.getLogger("smartapp.adt")

READ_CHUNK = 64 * 1024
ANSWERS_AHEAD = 32  # messages read ahead of their ACKs before the connection stops reading (backpressure)
TLS_HANDSHAKE_SECONDS = 10.0
ENHANCED_CODES = {"AA": "CA", "AE": "CE", "AR": "CR"}  # HL7 v2.5.1 2.9.3: the accept ACK's codes


@dataclass(frozen=True)
class ConnectionRules:
    """What every connection of one listener applies."""

    networks: tuple[tls.Network, ...]
    tls_context: ssl.SSLContext | None
    max_bytes: int
    idle_seconds: float
    ack_before_store: bool = False


def ack_control_id() -> str:
    """A fresh MSH-10 for an ACK smartapp sends (20 characters: v2.5.1's length for MSH-10)."""
    return secrets.token_hex(10)


def reply_for(header: Header | None, problem: Problem | None) -> bytes | None:
    """The ACK for one message: original mode AA/AE/AR; enhanced mode CA/CE/CR only when MSH-15 asks for
    it (None: send nothing)."""
    code = problem.ack_code if problem else "AA"
    if header is not None and header.enhanced_mode:
        if not accept_ack_wanted(header, ok=problem is None):
            return None
        code = ENHANCED_CODES[code]
    return ack_payload(header, code, problem=problem, now=timezone.now(), control_id=ack_control_id())


async def ack_send(writer: asyncio.StreamWriter, payload: bytes) -> None:
    """Write one framed ACK (tests/adt/crashing_listener.py replaces this to die before the first ACK)."""
    writer.write(framing.frame(payload))
    await writer.drain()


class MllpConnection:
    """Serves one accepted TCP connection until the peer closes, goes idle, or the listener stops."""

    def __init__(self, reader, writer, *, rules: ConnectionRules, store: BatchWriter):
        self._reader, self._writer = reader, writer
        self._rules, self._store = rules, store
        self._peer = _peer_address(writer)
        self._answers: asyncio.Queue[Awaitable[bytes | None] | None] = asyncio.Queue(ANSWERS_AHEAD)
        self._reading: asyncio.Task | None = None
        self._stopping = False

    async def serve(self) -> None:
        try:
            if await self._admitted():
                await self._exchange()
        except (ConnectionError, OSError) as error:
            logger.info("adt.connection_lost peer=%s error=%s", self._peer, type(error).__name__)
        finally:
            self._store.forget(self)
            self._writer.close()

    def stop_reading(self) -> None:
        """Graceful stop: read no more; the messages already read are still stored and ACKed."""
        self._stopping = True
        if self._reading is not None:
            self._reading.cancel()

    async def _admitted(self) -> bool:
        if not tls.source_allowed(self._peer, self._rules.networks):
            logger.warning("adt.refused peer=%s reason=source_not_allowed", self._peer)
            return False
        sock = self._writer.get_extra_info("socket")
        if sock is not None:  # an ACK is small and awaited: no Nagle delay on it
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._rules.tls_context is None:
            return True
        try:
            await self._writer.start_tls(self._rules.tls_context, ssl_handshake_timeout=TLS_HANDSHAKE_SECONDS)
        except (ssl.SSLError, ConnectionError, OSError, TimeoutError) as error:
            logger.warning(
                "adt.refused peer=%s reason=tls_handshake error=%s", self._peer, type(error).__name__
            )
            return False
        return True

    async def _exchange(self) -> None:
        sender = asyncio.create_task(self._send_answers())
        self._reading = asyncio.create_task(self._read_frames())
        try:
            await self._reading
        except asyncio.CancelledError:
            if not self._stopping:
                raise
        finally:
            await self._answers.put(None)
            await sender

    async def _read_frames(self) -> None:
        decoder = framing.FrameDecoder(max_bytes=self._rules.max_bytes)
        while not self._stopping:
            try:
                data = await asyncio.wait_for(self._reader.read(READ_CHUNK), self._rules.idle_seconds)
            except TimeoutError:
                logger.info("adt.idle_closed peer=%s", self._peer)
                break
            if not data:
                break
            for item in decoder.feed(data):
                if answer := self._answer(item):
                    await self._answers.put(answer)
        if decoder.close() is not None:
            logger.warning("adt.framing peer=%s reason=unterminated", self._peer)

    def _answer(self, item: bytes | framing.FramingError) -> Awaitable[bytes | None] | None:
        if isinstance(item, framing.FramingError):
            logger.warning("adt.framing peer=%s reason=%s", self._peer, item.reason)
            if item.reason != "too_large":
                return None
            return self._refused(read_header(item.head), checks.TOO_LARGE)
        try:
            message = quick_read(
                item
            )  # not parse_message: the full parse is processing's (parse.py says why)
        except Unparseable as error:
            return self._refused(error.header, error.problem)
        if problem := message_problem(message):
            return self._refused(message.header, problem)
        received = Received(raw=item, message=message, received_at=timezone.now())
        stored = self._store.submit(received, source=self)
        if self._rules.ack_before_store:  # the benchmark's baseline only: ACK without waiting for the commit
            stored.add_done_callback(_log_late_failure)
            return _ready(reply_for(message.header, None))
        # The AA is built while the batch is stored (the event loop is idle then), not after the commit.
        return self._after_commit(message.header, stored, accepted=reply_for(message.header, None))

    def _refused(self, header: Header | None, problem: Problem) -> Awaitable[bytes | None]:
        control_id = header.control_id[:64] if header else ""
        logger.info("adt.refused peer=%s control_id=%s reason=%s", self._peer, control_id, problem.reason)
        # Audited through the writer's batch (nothing stored), then answered.
        return self._after_commit(header, self._store.submit(Refused(header, problem), source=self))

    async def _after_commit(
        self, header: Header | None, stored: asyncio.Future, *, accepted: bytes | None = None
    ) -> bytes | None:
        outcome: Stored = await stored
        if outcome.outcome != ACCEPTED:
            reason = outcome.problem.reason if outcome.problem else outcome.outcome
            control_id = header.control_id[:64] if header else ""
            logger.info("adt.not_stored control_id=%s reason=%s", control_id, reason)
        if outcome.problem is None and accepted is not None:
            return accepted
        return reply_for(header, outcome.problem)

    async def _send_answers(self) -> None:
        # Every answer is awaited even once the peer is gone: the reader may be waiting for room in the queue.
        gone = False
        while (answer := await self._answers.get()) is not None:
            payload = await answer
            if payload is None or gone:
                continue
            try:
                await ack_send(self._writer, payload)
            except (ConnectionError, OSError) as error:
                logger.info("adt.connection_lost peer=%s error=%s", self._peer, type(error).__name__)
                gone = True


async def _ready(payload: bytes | None) -> bytes | None:
    return payload


def _log_late_failure(stored: asyncio.Future) -> None:
    if not stored.cancelled() and stored.result().outcome != ACCEPTED:
        logger.warning("adt.not_stored_after_ack reason=%s", stored.result().outcome)


def _peer_address(writer) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if peer else ""
