"""Text from outside (an EHR, an id_token) made safe to show (docs/security.md "Control characters").

No C0/C1 control (whitespace folded to one space), no bidirectional override, embedding, isolate or mark
(U+202E before "nilicivA" shows it as "Avicilin": a name can be made to read as another), and U+FFFD for
a code point that is not a character (a lone surrogate, which no page can encode, or a noncharacter).
"""

import re

NAME_LIMIT = 200

_WHITESPACE = re.compile(r"\s+")
# Controls that are not whitespace (C0, DEL, C1 but NEL): removed. Whitespace controls (tab, line breaks,
# the information separators U+1C-1F, NEL) are folded into one space like any other whitespace.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Unicode Bidirectional Algorithm (UAX #9) explicit formatting: embeddings and overrides (U+202A-202E),
# isolates (U+2066-2069), and the implicit marks LRM, RLM and ALM. A template isolates EHR text with <bdi>.
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Surrogates (only ever lone ones in a str) and the 66 noncharacters (Unicode 15, section 23.7).
_NOT_CHARACTERS = re.compile(
    r"[\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(17))
    + "]"
)
REPLACEMENT = "\ufffd"


def text(value, limit: int = NAME_LIMIT) -> str:
    """`value` made safe to show (see above), whitespace folded, stripped and cut to `limit` characters
    when it is a string, else ""."""
    if not isinstance(value, str):
        return ""
    value = _BIDI.sub("", _CONTROLS.sub("", _NOT_CHARACTERS.sub(REPLACEMENT, value)))
    return _WHITESPACE.sub(" ", value).strip()[:limit].rstrip()  # a cut may end on a folded space
