"""MLLP framing (HL7 v2.5.1 Appendix C "Lower layer protocols"; HL7 Transport Specification MLLP Release 2):
each message travels as 0x0B <payload> 0x1C 0x0D over TCP. Reads split frames anywhere, so FrameDecoder keeps
the frame in progress between feeds, bounds its size, and resynchronises on the next start block after
garbage. Each feed scans only the new bytes (bytes.find from the current position), so decoding is linear.
"""

from dataclasses import dataclass, field

START = b"\x0b"
END = b"\x1c\r"
_FS = 0x1C
_CR = 0x0D
# Stray CR/LF between frames (some engines end a block with 0x1C 0x0D 0x0A) is not worth an error.
_INTERFRAME_WHITESPACE = b"\r\n"
# What a too-large frame keeps of its start: enough for an MSH segment, so the AR can name the message.
HEAD_BYTES = 2048


@dataclass(frozen=True)
class FramingError:
    """A framing fault: "too_large", "unterminated" or "outside_frame" (see FrameDecoder). A "too_large"
    error carries the frame's first HEAD_BYTES in head (for parse.read_header); head is not compared."""

    reason: str
    head: bytes = field(default=b"", compare=False, repr=False)


UNTERMINATED = FramingError("unterminated")
OUTSIDE_FRAME = FramingError("outside_frame")


def frame(payload: bytes) -> bytes:
    """Wrap one message in MLLP's start and end blocks."""
    return START + payload + END


class FrameDecoder:
    """Turns a byte stream into payloads and framing errors, in stream order.

    - "too_large": a frame grew past max_bytes; its bytes are dropped as they arrive (memory stays bounded)
      up to its end block, reported once.
    - "unterminated": a start block came before the previous frame's end; the partial frame is dropped and
      the new frame begins. close() reports it too for a frame left open at end of stream.
    - "outside_frame": bytes that belong to no frame, reported once per run of them.
    An empty frame (0x0B 0x1C 0x0D) yields b"" like any other payload; the parser rejects it.
    """

    def __init__(self, *, max_bytes: int):
        self._max_bytes = max_bytes
        self._frame = bytearray()
        self._in_frame = False
        self._skipping = False  # in a too-large frame: discard until its end block
        self._held_fs = False  # the chunk ended with 0x1C: the end block may finish in the next one
        self._outside_reported = False

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Consume the next chunk; return the payloads completed and the errors met, in order."""
        out: list[bytes | FramingError] = []
        pos = 0
        if self._held_fs and data:
            pos = self._resolve_held_fs(data, out)
        while pos < len(data):
            pos = (
                self._in_frame_step(data, pos, out) if self._in_frame else self._outside_step(data, pos, out)
            )
        return out

    def buffered(self) -> int:
        """Bytes held for the frame in progress (0 while a too-large frame is skipped)."""
        return len(self._frame) + int(self._held_fs and not self._skipping)

    def close(self) -> FramingError | None:
        """End of stream: "unterminated" when a frame was in progress, else None. Resets the decoder."""
        unfinished = self._in_frame and not self._skipping
        self._frame.clear()
        self._in_frame = self._skipping = self._held_fs = self._outside_reported = False
        return UNTERMINATED if unfinished else None

    def _outside_step(self, data: bytes, pos: int, out: list) -> int:
        start = data.find(START, pos)
        stop = len(data) if start == -1 else start
        if not self._outside_reported and data[pos:stop].strip(_INTERFRAME_WHITESPACE):
            self._outside_reported = True
            out.append(OUTSIDE_FRAME)
        if start == -1:
            return len(data)
        self._begin_frame()
        return start + 1

    def _in_frame_step(self, data: bytes, pos: int, out: list) -> int:
        end = data.find(END, pos)
        limit = len(data) if end == -1 else end
        start = data.find(START, pos, limit)
        if start != -1:
            if not self._skipping:
                out.append(UNTERMINATED)
            self._begin_frame()
            return start + 1
        if end != -1:
            self._append(data[pos:end], out)
            self._finish_frame(out)
            return end + len(END)
        self._held_fs = data[-1] == _FS
        self._append(data[pos : len(data) - 1 if self._held_fs else len(data)], out)
        return len(data)

    def _resolve_held_fs(self, data: bytes, out: list) -> int:
        self._held_fs = False
        if data[0] == _CR:
            self._finish_frame(out)
            return 1
        self._append(bytes([_FS]), out)  # a lone 0x1C is frame content, not an end block
        return 0

    def _append(self, chunk: bytes, out: list) -> None:
        if self._skipping or not chunk:
            return
        if len(self._frame) + len(chunk) > self._max_bytes:
            head = bytes(self._frame[:HEAD_BYTES]) + chunk[: max(0, HEAD_BYTES - len(self._frame))]
            self._frame.clear()
            self._skipping = True
            out.append(FramingError("too_large", head))
            return
        self._frame += chunk

    def _begin_frame(self) -> None:
        self._frame.clear()
        self._in_frame = True
        self._skipping = False
        self._outside_reported = False

    def _finish_frame(self, out: list) -> None:
        if not self._skipping:
            out.append(bytes(self._frame))
        self._frame.clear()
        self._in_frame = self._skipping = False
