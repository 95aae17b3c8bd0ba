"""What the faults put on the wire, and reading an ACK (HL7 v2.5.1 2.14.1 MSA).

drop_mid_frame: part of a frame, then the connection closes; the retry sends it whole.
garbage: random bytes and a framed non-HL7 payload before the message.
duplicate: the same message (same control id) twice.
out_of_order: a visit's messages sent latest MSH-7 first (MSH-7 keeps the true times).
slow_reader: the frame written in small chunks with pauses, and the ACK read late.
burst: every message written back to back before the first ACK is read.
"""

import os

START, END = b"\x0b", b"\x1c\r"  # MLLP block characters

DROP_MID_FRAME, GARBAGE, DUPLICATE = "drop_mid_frame", "garbage", "duplicate"
OUT_OF_ORDER, SLOW_READER, BURST = "out_of_order", "slow_reader", "burst"
FAULTS = (DROP_MID_FRAME, GARBAGE, DUPLICATE, OUT_OF_ORDER, SLOW_READER, BURST)
NOT_HL7 = b"THIS IS NOT AN HL7 MESSAGE"


def check(faults: frozenset[str]) -> None:
    """ValueError for a fault name the client does not know."""
    unknown = sorted(faults - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(name[:32] for name in unknown)}")


def plan(messages: list, faults: frozenset[str]) -> list:
    """The messages in their sending order: latest MSH-7 first for out_of_order; each twice for duplicate."""
    ordered = sorted(messages, key=lambda m: m.sent_at, reverse=True) if OUT_OF_ORDER in faults else messages
    return [m for m in ordered for _ in range(2 if DUPLICATE in faults else 1)]


def frame(payload: bytes) -> bytes:
    return START + payload + END


def partial_frame(payload: bytes) -> bytes:
    """The start block and the first half of the message, never its end block."""
    return START + payload[: max(1, len(payload) // 2)]


def garbage() -> bytes:
    """Noise outside any frame (no start or end block in it), then a frame that holds no HL7 message."""
    noise = bytes(b for b in os.urandom(48) if b not in (START[0], END[0]))
    return noise + frame(NOT_HL7)


# ERR-3 207 "application internal error": the receiver did not store the message and asks for it again
# (HL7 v2.5.1 table 0357), which engines resend as they resend a missing ACK.
RESEND_ERROR = "207"


def read_ack(payload: bytes) -> tuple[str, str]:
    """(MSA-1, MSA-2) of an ACK; ("", "") when the payload holds no MSA segment. An AE/CE whose ERR-3 is
    RESEND_ERROR reads as MSA-1 "resend"."""
    text = payload.decode("utf-8", errors="replace")
    separator = text[3] if text.startswith("MSH") and len(text) > 3 else "|"
    segments = text.replace("\n", "\r").split("\r")
    code, acked = "", ""
    for fields in (segment.split(separator) for segment in segments):
        if fields[0] == "MSA":
            code, acked = (fields[1] if len(fields) > 1 else ""), (fields[2] if len(fields) > 2 else "")
        elif fields[0] == "ERR" and len(fields) > 3 and fields[3].split("^")[0] == RESEND_ERROR:
            code = "resend" if code in ("AE", "CE") else code
    return code, acked
