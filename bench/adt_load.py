"""The ADT benchmark's load generator: one asyncio coroutine per MLLP connection, all in this process.

Each connection sends a message, waits for its ACK, then sends the next (MLLP's normal flow: an engine
keeps one message in flight per connection). A message's latency is from just before its bytes are written
to just after its ACK's end block is read. Messages sent during the warm-up are ACKed and stored like the
others but are not in the latencies or the throughput.
"""

import asyncio
import socket
import time
from dataclasses import dataclass, field

from bench.adt_messages import MessageFactory
from smartapp.adt.framing import END

ACK_TIMEOUT_S = 30.0  # far above any latency worth measuring: a listener that stalls this long has failed


@dataclass(frozen=True)
class Plan:
    connections: int
    warmup_s: float
    seconds: float  # the measured window, when `messages` is 0
    messages: int = 0  # measured messages over all connections (after the warm-up) instead of a window


@dataclass
class Load:
    """What the connections saw: measured latencies (s), every ACKed control id, refusals, timings."""

    latencies: list[float] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)  # AA only, warm-up included
    refused: dict[str, int] = field(default_factory=dict)  # MSA-1 code (AE, AR, ...) -> count
    window_s: float = 0.0  # from the end of the warm-up to the last measured ACK
    generator_cpu_s: float = 0.0  # this process's CPU time over the whole run
    wall_s: float = 0.0

    @property
    def measured(self) -> int:
        return len(self.latencies)


class _Clock:
    """The run's phases, shared by the connections (one event loop: no locks needed)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.start = time.perf_counter()
        self.warm_end = self.start + plan.warmup_s
        self.end = self.warm_end + plan.seconds
        self.left = plan.messages  # measured messages still to send, when counting
        self.last_ack = self.warm_end

    def take(self) -> bool | None:
        """Whether the next message is measured (True) or warm-up (False); None: stop sending."""
        now = time.perf_counter()
        if now < self.warm_end:
            return False
        if self.plan.messages:
            self.left -= 1
            return True if self.left >= 0 else None
        return True if now < self.end else None


def run_load(address: tuple[str, int], factory: MessageFactory, plan: Plan) -> Load:
    """Drive `plan.connections` connections against the listener at `address`; what they saw."""
    cpu, wall = time.process_time(), time.perf_counter()
    load = asyncio.run(_run(address, factory, plan))
    load.generator_cpu_s = time.process_time() - cpu
    load.wall_s = time.perf_counter() - wall
    return load


async def _run(address, factory: MessageFactory, plan: Plan) -> Load:
    streams = [await asyncio.open_connection(*address) for _ in range(plan.connections)]
    load, clock = Load(), _Clock(plan)  # the phases start once every connection is open
    try:
        await asyncio.gather(
            *(_connection(index, *stream, factory, clock, load) for index, stream in enumerate(streams))
        )
    finally:
        for _, writer in streams:
            writer.close()
    load.window_s = clock.last_ack - clock.warm_end
    return load


async def _connection(index, reader, writer, factory: MessageFactory, clock: _Clock, load: Load) -> None:
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    seq = 0
    while (measured := clock.take()) is not None:
        control_id, frame = factory.frame(index, seq)
        seq += 1
        started = time.perf_counter()
        writer.write(frame)  # ~1 KB into an empty buffer: the kernel takes it at once, no drain needed
        async with asyncio.timeout(ACK_TIMEOUT_S):  # a context, not wait_for: no task per message
            ack = await reader.readuntil(END)
        ended = time.perf_counter()
        code = _ack_code(ack, control_id)
        if code != "AA":
            load.refused[code] = load.refused.get(code, 0) + 1
            continue
        load.acked.append(control_id)
        if measured:
            load.latencies.append(ended - started)
            clock.last_ack = max(clock.last_ack, ended)


def _ack_code(ack: bytes, control_id: str) -> str:
    """MSA-1 of an ACK, "mismatch" when its MSA-2 is not the message's control id."""
    at = ack.find(b"\rMSA|")
    if at < 0:
        return "no_msa"
    msa = ack[at + 1 :].split(b"\r", 1)[0].decode("ascii", "replace").split("|")
    return msa[1] if msa[2:3] == [control_id] else "mismatch"
