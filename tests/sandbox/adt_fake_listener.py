"""A tiny MLLP listener for the sandbox's ADT feed tests: asyncio on loopback (port 0) in a thread of its
own; it records what arrives and answers each frame with an AA ACK naming its MSH-10 (AR for a frame that
is no HL7 message). Switches make it misbehave: close the connection on the first frames, stay silent on
them, or hold every ACK until a number of frames has come."""

import asyncio
import threading
import time
from dataclasses import dataclass, field

START, END = b"\x0b", b"\x1c\r"


@dataclass
class Arrival:
    connection: int
    payload: bytes
    at: float

    @property
    def control_id(self) -> str:
        msh = self.payload.split(b"\r", 1)[0].decode("utf-8", errors="replace")
        fields = msh.split("|")
        return fields[9] if msh.startswith("MSH") and len(fields) > 9 else ""

    @property
    def event(self) -> str:
        fields = self.payload.split(b"\r", 1)[0].decode().split("|")
        return fields[8].split("^")[1] if len(fields) > 8 else ""


@dataclass
class FakeListener:
    drop_first: int = 0  # close the connection, without an ACK, on each of the first N frames
    silent_first: int = 0  # send no ACK for each of the first N frames (the connection stays open)
    hold_acks_until: int = 0  # per connection: send no ACK until this many frames have arrived on it
    not_stored_first: int = 0  # answer AE with ERR-3 207 ("not stored, send it again") to the first N frames
    refused_first: int = 0  # answer AE with ERR-3 101 (a content error: resending will not help)
    raw: dict[int, bytearray] = field(default_factory=dict)  # every byte received, per connection
    reads: dict[int, int] = field(default_factory=dict)  # how many reads each connection took
    arrivals: list[Arrival] = field(default_factory=list)
    acks: list[tuple[str, str]] = field(default_factory=list)  # (MSA-1, MSA-2) sent, in order

    def __post_init__(self):
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._frames_seen = 0

    def start(self) -> int:
        self._thread.start()
        assert self._ready.wait(5), "the fake listener did not start"
        return self.port

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def wait_for(self, condition, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting on the fake listener"
            time.sleep(0.005)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(self.raw)
        self.raw[number], self.reads[number], buffer, held = bytearray(), 0, bytearray(), []
        try:
            while data := await reader.read(65536):
                self.raw[number] += data
                self.reads[number] += 1
                buffer += data
                while (end := buffer.find(END)) != -1:
                    start = buffer.rfind(START, 0, end)
                    payload = bytes(buffer[start + 1 : end]) if start != -1 else b""
                    del buffer[: end + len(END)]
                    if not self._take(number, payload, held):
                        return
                if len(held) >= self.hold_acks_until:
                    for ack in held:
                        writer.write(ack)
                    held.clear()
                    await writer.drain()
        finally:
            writer.close()

    def _take(self, number: int, payload: bytes, held: list[bytes]) -> bool:
        """Record one frame and queue its ACK; False when the connection is to be dropped."""
        arrival = Arrival(number, payload, time.monotonic())
        self.arrivals.append(arrival)
        self._frames_seen += 1
        if self._frames_seen <= self.drop_first:
            return False
        if self._frames_seen <= self.drop_first + self.silent_first:
            return True
        code, error = ("AA" if arrival.control_id else "AR"), ""
        answered = self._frames_seen - self.drop_first - self.silent_first
        if answered <= self.not_stored_first:
            code, error = "AE", "207"
        elif answered <= self.not_stored_first + self.refused_first:
            code, error = "AE", "101"
        self.acks.append((code, arrival.control_id))
        held.append(ack(code, arrival.control_id, error=error))
        return True


def ack(code: str, control_id: str, *, error: str = "") -> bytes:
    msh = "MSH|^~\\&|SMARTAPP|SMARTAPP|SBXADT|SBXHOSP|20240501120000+0000||ACK^A03^ACK"
    message = f"{msh}|ACK{control_id}|P|2.5.1\rMSA|{code}|{control_id}\r"
    if error:
        message += f"ERR||PID^1^3|{error}^Error^HL70357|E\r"
    return START + message.encode() + END
