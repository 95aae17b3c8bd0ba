"""An MLLP client that behaves like an interface engine: it frames each message (0x0B ... 0x1C 0x0D), waits
for the ACK whose MSA-2 names it, and resends the same bytes (same control id) on a new connection when the
connection drops or no ACK comes in time (MLLP release 2, HL7 v2.5.1 appendix C,
https://www.hl7.org/implement/standards/product_brief.cfm?product_id=55).

Faults (wire.FAULTS) make it misbehave the way real feeds do, one switch per send.
"""

import socket
import time
from dataclasses import dataclass, field
from datetime import datetime

from . import wire
from .wire import END, START


@dataclass(frozen=True)
class Outgoing:
    """One message to send: its control id (MSH-10), encoded bytes and MSH-7."""

    control_id: str
    payload: bytes
    sent_at: datetime


@dataclass(frozen=True)
class Delivery:
    """What became of one send: the ACK's MSA-1 ("" when none came), and how many times it was written."""

    control_id: str
    ack_code: str
    attempts: int
    error: str = ""  # a fixed reason when no ACK came: "no_ack" or "unreachable"


@dataclass(frozen=True)
class ClientOptions:
    ack_timeout: float = 5.0
    connect_timeout: float = 3.0
    max_attempts: int = 5
    retry_pause: float = 0.2
    chunk_size: int = 16  # slow_reader: bytes per write
    chunk_pause: float = 0.01  # slow_reader: pause between writes
    read_delay: float = 0.3  # slow_reader: how late the ACK is read


class NoAck(Exception):
    """No ACK for the message came before the timeout, or the connection closed first."""


@dataclass
class _Connection:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    acks: list[tuple[str, str]] = field(default_factory=list)  # (MSA-1, MSA-2) read but not yet claimed


class MllpClient:
    """Sends messages to one listener (host, port), keeping one connection open between messages."""

    def __init__(self, host: str, port: int, options: ClientOptions | None = None):
        self.address, self.options = (host, port), options or ClientOptions()
        self._conn: _Connection | None = None

    def deliver(self, messages: list[Outgoing], *, faults: frozenset[str] = frozenset()) -> list[Delivery]:
        """Send `messages` with `faults` switched on; one Delivery per message written (a duplicate twice)."""
        wire.check(faults)
        planned = wire.plan(messages, faults)
        try:
            if wire.BURST in faults:
                return self._burst(planned, faults)
            return [self._send(message, faults) for message in planned]
        finally:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.sock.close()
            self._conn = None

    def _send(self, message: Outgoing, faults: frozenset[str], attempts: int = 0) -> Delivery:
        error = ""
        while attempts < self.options.max_attempts:
            attempts += 1
            try:
                conn = self._connection()
                if attempts == 1 and wire.GARBAGE in faults:
                    conn.sock.sendall(wire.garbage())
                if attempts == 1 and wire.DROP_MID_FRAME in faults:
                    conn.sock.sendall(wire.partial_frame(message.payload))
                    raise NoAck("dropped on purpose")
                self._write(conn, wire.frame(message.payload), faults)
                code = self._await_ack(conn, message.control_id)
                if code != "resend":
                    return Delivery(message.control_id, code, attempts)
                error = "not_stored"  # AE 207: the receiver asks for the message again
            except OSError:
                error = "unreachable"
            except NoAck:
                error = "no_ack"
            self.close()
            time.sleep(self.options.retry_pause)
        return Delivery(message.control_id, "", attempts, error)

    def _burst(self, messages: list[Outgoing], faults: frozenset[str]) -> list[Delivery]:
        """Every frame written back to back before any ACK is read; what got no ACK is resent one by one."""
        codes: list[str | None] = [None] * len(messages)
        try:
            conn = self._connection()
            if wire.GARBAGE in faults:
                conn.sock.sendall(wire.garbage())
            conn.sock.sendall(b"".join(wire.frame(m.payload) for m in messages))
            if wire.SLOW_READER in faults:
                time.sleep(self.options.read_delay)
            for index, message in enumerate(messages):
                codes[index] = self._await_ack(conn, message.control_id)
        except (OSError, NoAck):
            self.close()
        calm = faults - {wire.GARBAGE, wire.DROP_MID_FRAME}
        answered = [code not in (None, "resend") for code in codes]
        return [
            Delivery(m.control_id, code, 1) if ok else self._send(m, calm, attempts=1)
            for m, code, ok in zip(messages, codes, answered, strict=True)
        ]

    def _connection(self) -> _Connection:
        if self._conn is None:
            sock = socket.create_connection(self.address, timeout=self.options.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = _Connection(sock)
        return self._conn

    def _write(self, conn: _Connection, data: bytes, faults: frozenset[str]) -> None:
        if wire.SLOW_READER not in faults:
            conn.sock.sendall(data)
            return
        size = self.options.chunk_size
        for offset in range(0, len(data), size):
            conn.sock.sendall(data[offset : offset + size])
            time.sleep(self.options.chunk_pause)
        time.sleep(self.options.read_delay)

    def _await_ack(self, conn: _Connection, control_id: str) -> str:
        """MSA-1 of the next ACK naming `control_id`; ACKs naming other messages wait for their turn."""
        deadline = time.monotonic() + self.options.ack_timeout
        while True:
            conn.acks += [wire.read_ack(payload) for payload in _take_frames(conn.buffer)]
            for index, (code, acked) in enumerate(conn.acks):
                if acked == control_id:
                    del conn.acks[index]
                    return code
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoAck("timeout")
            conn.sock.settimeout(remaining)
            try:
                data = conn.sock.recv(65536)
            except TimeoutError as exc:
                raise NoAck("timeout") from exc
            if not data:
                raise NoAck("closed")
            conn.buffer += data


def _take_frames(buffer: bytearray) -> list[bytes]:
    """Complete frames removed from the front of `buffer` (bytes before a START are dropped)."""
    frames = []
    while (end := buffer.find(END)) != -1:
        start = buffer.rfind(START, 0, end)
        if start != -1:
            frames.append(bytes(buffer[start + 1 : end]))
        del buffer[: end + len(END)]
    return frames
