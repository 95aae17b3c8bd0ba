"""MLLP framing: frames split anywhere, garbage, unterminated and oversized frames, linear decoding."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from smartapp.adt.framing import END, HEAD_BYTES, START, FrameDecoder, FramingError, frame

FAST = settings(max_examples=200, deadline=None, database=None)
MIB = 1024 * 1024
MESSAGE = (
    b"MSH|^~\\&|EPIC|SBXHOSP|SMARTAPP|SMARTAPP|20240314101530||ADT^A03|EP1|P|2.5.1\rPID|1||E1^^^SBX^MR\r"
)
# Payload bytes a sender may use: anything but the start and end block characters.
payloads = st.binary(min_size=1, max_size=300).map(
    lambda data: data.replace(START, b"").replace(b"\x1c", b"")
)


def decode_in_pieces(stream: bytes, cuts: list[int], *, max_bytes: int = 4 * MIB) -> list:
    decoder = FrameDecoder(max_bytes=max_bytes)
    out, previous = [], 0
    for cut in [*sorted(cuts), len(stream)]:
        out += decoder.feed(stream[previous:cut])
        previous = cut
    closing = decoder.close()
    return out + ([closing] if closing else [])


def test_frame_wraps_the_payload_in_start_and_end_blocks():
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\r"


@FAST
@given(st.lists(payloads.filter(bool), min_size=1, max_size=5), st.data())
def test_any_split_of_a_stream_of_frames_gives_the_same_payloads(messages, data):
    stream = b"".join(frame(message) for message in messages)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=20))
    assert decode_in_pieces(stream, cuts) == messages


def test_one_byte_at_a_time_decodes_every_frame():
    stream = frame(MESSAGE) + frame(b"MSH|second")
    assert decode_in_pieces(stream, list(range(len(stream)))) == [MESSAGE, b"MSH|second"]


def test_several_frames_in_one_read():
    assert FrameDecoder(max_bytes=MIB).feed(frame(b"one") + frame(b"two") + frame(b"three")) == [
        b"one",
        b"two",
        b"three",
    ]


def test_an_end_block_split_between_reads_ends_the_frame():
    decoder = FrameDecoder(max_bytes=MIB)
    assert decoder.feed(START + b"MSH|a\x1c") == []
    assert decoder.buffered() == len(b"MSH|a") + 1
    assert decoder.feed(b"\r" + frame(b"next")) == [b"MSH|a", b"next"]
    assert decoder.buffered() == 0


def test_a_file_separator_not_followed_by_cr_is_frame_content():
    decoder = FrameDecoder(max_bytes=MIB)
    assert decoder.feed(START + b"ab\x1c") == []
    assert decoder.feed(b"cd" + END) == [b"ab\x1ccd"]


def test_garbage_before_and_between_frames_is_reported_once_per_run_then_frames_resume():
    stream = b"GET / HTTP/1.1\r\n" + frame(b"one") + b"junk" + b"more junk" + frame(b"two")
    outside = FramingError("outside_frame")
    assert FrameDecoder(max_bytes=MIB).feed(stream) == [outside, b"one", outside, b"two"]
    assert decode_in_pieces(stream, list(range(0, len(stream), 3))) == [outside, b"one", outside, b"two"]


def test_line_breaks_between_frames_are_tolerated():
    stream = frame(b"one") + b"\n" + frame(b"two") + b"\r\n"
    assert FrameDecoder(max_bytes=MIB).feed(stream) == [b"one", b"two"]


def test_a_start_block_inside_an_unfinished_frame_drops_the_partial_and_begins_anew():
    decoder = FrameDecoder(max_bytes=MIB)
    assert decoder.feed(START + b"MSH|partial") == []
    assert decoder.feed(START + b"MSH|whole" + END) == [FramingError("unterminated"), b"MSH|whole"]


def test_close_reports_a_frame_left_open():
    decoder = FrameDecoder(max_bytes=MIB)
    decoder.feed(frame(b"done") + START + b"MSH|cut")
    assert decoder.close() == FramingError("unterminated")
    assert decoder.close() is None
    assert decoder.buffered() == 0


def test_close_between_frames_reports_nothing():
    decoder = FrameDecoder(max_bytes=MIB)
    decoder.feed(frame(b"done"))
    assert decoder.close() is None


def test_a_frame_over_the_limit_is_skipped_to_its_end_reported_once_and_memory_stays_bounded():
    decoder = FrameDecoder(max_bytes=1000)
    oversized = MESSAGE + b"x" * 5000
    out = decoder.feed(START + oversized[:600])
    for start in range(600, len(oversized), 500):
        out += decoder.feed(oversized[start : start + 500])
        assert decoder.buffered() <= 1000
    assert decoder.buffered() == 0
    out += decoder.feed(END + frame(b"MSH|after"))
    assert out == [FramingError("too_large"), b"MSH|after"]
    head = out[0].head  # its start is kept so that the AR can name the message
    assert head.startswith(MESSAGE) and oversized.startswith(head) and len(head) <= HEAD_BYTES
    assert decoder.close() is None


def test_a_frame_exactly_at_the_limit_passes():
    assert FrameDecoder(max_bytes=10).feed(frame(b"0123456789")) == [b"0123456789"]
    assert FrameDecoder(max_bytes=10).feed(frame(b"0123456789A")) == [FramingError("too_large")]


def test_a_one_megabyte_message_passes_with_the_default_limit():
    big = MESSAGE + b"OBX|1|TX|||" + b"a" * MIB + b"\r"
    stream = frame(big)
    assert decode_in_pieces(stream, list(range(0, len(stream), 1024))) == [big]


def test_decoding_is_linear_in_the_bytes_fed():
    # 3 MiB in 256-byte reads: rescanning or copying the buffer on each feed would cost ~12,000 x 1.5 MiB.
    big = MESSAGE + b"a" * (3 * MIB)
    stream = frame(big)
    decoder = FrameDecoder(max_bytes=4 * MIB)
    began = time.perf_counter()
    out = []
    for start in range(0, len(stream), 256):
        out += decoder.feed(stream[start : start + 256])
    assert time.perf_counter() - began < 1.0
    assert out == [big]
