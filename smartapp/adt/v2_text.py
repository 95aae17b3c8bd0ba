"""HL7 v2 delimiters and escape sequences (v2.5.1 ch. 2.7 "Use of escape sequences in text fields").

Our own unescape rather than python-hl7's: hl7.util.unescape logs the whole field (a patient's name) when a
sequence is malformed, turns \\Xhh\\ into code points instead of bytes of the message's charset (so UTF-8
\\XC3A9\\ came out as two characters), and raises ValueError on "\\.brx\\".
"""

import re
from dataclasses import dataclass

from smartapp.adt.charsets import decode_lenient

_MAX_REPEAT = 100  # \.sp<n>\ and \.sk<n>\ counts beyond this are sender bugs, not layout
_DROPPED = re.compile(r"[HN]|[CMZ].*|\.(?:fi|nf|in[+-]?\d*|ti[+-]?\d*)")
_REPEATED = re.compile(r"\.(br|sp|ce|sk)(\d*)")
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})+)")


@dataclass(frozen=True)
class Delimiters:
    """MSH-1 and the four MSH-2 encoding characters."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @classmethod
    def from_msh(cls, field_separator: str, encoding_characters: str) -> "Delimiters | None":
        """The delimiters MSH-1/MSH-2 declare, or None when they are unusable: MSH-2 must hold the 4
        encoding characters (a 5th, v2.7's truncation character, is allowed and ignored), all distinct
        from each other and from MSH-1, none a letter, digit, space or control character."""
        chars = field_separator + encoding_characters
        if (
            len(field_separator) != 1
            or len(encoding_characters) not in (4, 5)
            or len(set(chars)) != len(chars)
        ):
            return None
        if any(char.isalnum() or not char.isprintable() or char.isspace() for char in chars):
            return None
        component, repetition, escape, subcomponent = encoding_characters[:4]
        return cls(field_separator, component, repetition, escape, subcomponent)

    @property
    def encoding_characters(self) -> str:
        """MSH-2 as we write it."""
        return self.component + self.repetition + self.escape + self.subcomponent


def unescape(text: str, delimiters: Delimiters, codec: str) -> str:
    """Replace the escape sequences in a leaf value.

    \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ give the delimiters; \\Xhh..\\ gives bytes decoded in the message's codec;
    \\.br\\, \\.sp<n>\\ and \\.ce\\ give line breaks ("\\n") and \\.sk<n>\\ spaces; other formatting (\\.fi\\,
    \\.nf\\, \\.in<n>\\, \\.ti<n>\\), highlighting (\\H\\, \\N\\), charset switches (\\C..\\, \\M..\\) and
    local sequences (\\Z..\\) are dropped. Anything else, e.g. a lone escape character, is kept as written.
    """
    esc = delimiters.escape
    if esc not in text:
        return text
    out, pos = [], 0
    while (start := text.find(esc, pos)) != -1 and (end := text.find(esc, start + 1)) != -1:
        replacement = _replacement(text[start + 1 : end], delimiters, codec)
        out.append(text[pos:start])
        if replacement is None:  # not a sequence: keep the escape character, look again after it
            out.append(esc)
            pos = start + 1
        else:
            out.append(replacement)
            pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def escape(text: str, delimiters: Delimiters) -> str:
    """Escape the delimiters in a value we write into a message; control characters are dropped."""
    table = {ord(char): None for char in map(chr, range(0x20))}
    codes = zip(
        (
            delimiters.escape,
            delimiters.field,
            delimiters.component,
            delimiters.subcomponent,
            delimiters.repetition,
        ),
        "EFSTR",
        strict=True,
    )
    table.update({ord(char): f"{delimiters.escape}{code}{delimiters.escape}" for char, code in codes})
    return text.translate(table)


def _replacement(sequence: str, delimiters: Delimiters, codec: str) -> str | None:
    named = {
        "F": delimiters.field,
        "S": delimiters.component,
        "T": delimiters.subcomponent,
        "R": delimiters.repetition,
        "E": delimiters.escape,
    }
    if sequence in named:
        return named[sequence]
    if hexadecimal := _HEX.fullmatch(sequence):
        return decode_lenient(bytes.fromhex(hexadecimal.group(1)), codec)
    if repeated := _REPEATED.fullmatch(sequence):
        kind, count = repeated.groups()
        return ("\n" if kind != "sk" else " ") * min(int(count or 1), _MAX_REPEAT)
    if _DROPPED.fullmatch(sequence):
        return ""
    return None
