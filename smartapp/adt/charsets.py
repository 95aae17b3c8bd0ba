"""MSH-18 character sets (HL7 table 0211) and the Python codecs that read them.

MSH-18 is read from the raw bytes before anything is decoded: the MSH segment is ASCII in every charset
we accept, so its delimiters can be found byte-wise. Charsets whose bytes are not ASCII-compatible
(UNICODE, UTF-16, UTF-32) or that switch code sets with ISO 2022 escapes (ISO IR14, IR87, IR159) are
refused like unknown values: guessed text is worse than an AR the sender's analyst can see.
"""

import re

# HL7 table 0211 (https://terminology.hl7.org/CodeSystem-v2-0211.html) -> Python codec.
# "ISO IR100" is DICOM's name for Latin-1, not a table 0211 value: refused (the sender should send 8859/1).
_TABLE_0211 = {
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    **{f"8859/{n}": f"iso8859-{n}" for n in range(1, 10)},
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",  # not in the table; what engines configured by hand often send
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
}
_FIRST_LINE = re.compile(rb"[^\r\n]*")
_MSH18 = 17  # index in the MSH line split on MSH-1: "MSH", MSH-2, MSH-3, ...


def declared_charset(raw: bytes) -> str:
    """MSH-18's first repetition as sent, stripped ("" when absent or unreadable: the v2 default, ASCII)."""
    line = _FIRST_LINE.match(raw.lstrip()).group()
    if len(line) < 8 or not line.startswith(b"MSH"):
        return ""
    fields = line.split(line[3:4])
    if len(fields) <= _MSH18:
        return ""
    repetition = fields[1][1:2] or b"~"
    return fields[_MSH18].split(repetition)[0].decode("ascii", "replace").strip()


def codec_for(charset: str) -> str | None:
    """The Python codec for an MSH-18 value ("" = ASCII), or None when it is not supported."""
    return "ascii" if not charset else _TABLE_0211.get(charset.upper())


def decode(raw: bytes, codec: str) -> str:
    """Decode message bytes; raises UnicodeDecodeError when they do not fit the declared charset.

    ASCII (declared or by default) is read leniently: UTF-8 when the bytes are valid UTF-8 (what most
    senders that leave MSH-18 empty actually send), else Latin-1, so a name with an accent never costs a
    discharge message; identifiers are ASCII either way.
    """
    if codec != "ascii":
        return raw.decode(codec)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_lenient(raw: bytes, codec: str | None) -> str:
    """Decode without failing (unknown charset: Latin-1; bad bytes: U+FFFD), for best-effort reading."""
    try:
        return decode(raw, codec or "latin-1")
    except UnicodeDecodeError:
        return raw.decode(codec or "latin-1", errors="replace")
