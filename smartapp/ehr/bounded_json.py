"""The one way smartapp reads JSON an EHR sent: bounded in size and nesting depth, strict, typed errors.

Discovery, token, JWKS, FHIR reads and searches and Binary-as-JSON all parse here. An EHR's body is hostile
input: the stdlib `json` raises RecursionError at ~1,000 levels (a 500 in any view), orjson stops at 1,024
with its own error, and code that walks a parsed resource recursively (mappers, fhirclient models) may
still overflow well below that. So a body is refused, before it is parsed, when it is larger than the
caller's limit or nests deeper than MAX_DEPTH; orjson (RFC 8259: no NaN, no Infinity, no number that
overflows a double, valid UTF-8 only) parses the rest. Every refusal is EhrBadResponse with its fixed
message; nothing of the body reaches a message or a log.

One leniency: a lone surrogate escape ("\\ud800") is valid JSON text but not a Unicode character, and
orjson refuses the whole body for it. Such a body is read by the stdlib parser (depth already bounded;
NaN, Infinity and overflowing numbers still refused) with each lone surrogate replaced by U+FFFD, so one
bad character in a name costs that character, not the patient's chart.
"""

import json
import math
import re

import orjson

from smartapp.ehr.errors import EhrBadResponse

MAX_DEPTH = 64  # objects and arrays nested in each other; real FHIR resources stay far below
MAX_BYTES = 20_000_000  # the largest body any caller reads (a FHIR page or a Binary)

# A JSON string (escapes included): brackets inside one do not nest anything. The loop is unrolled so a
# multi-megabyte string (base64 data) is one linear match.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_TO_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(body: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH):
    """The JSON value of `body`; EhrBadResponse if it is too large, too deep or not strict JSON."""
    if not isinstance(body, bytes | bytearray | memoryview) or len(body) > max_bytes:
        raise EhrBadResponse()
    if too_deep(bytes(body), max_depth):
        raise EhrBadResponse()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:  # also orjson's own depth limit, NaN, 1e400, bad UTF-8
        if not _LONE_SURROGATE_ESCAPE.search(bytes(body)):
            raise EhrBadResponse() from None
    return _with_surrogates_replaced(bytes(body))


def _with_surrogates_replaced(body: bytes):
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError: bad UTF-8 stays refused
        raise EhrBadResponse() from None
    return _replaced(value)


def _refuse_constant(name: str):
    raise ValueError("NaN and Infinity are not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number that overflows a double")
    return number


def _replaced(value):
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD; depth <= MAX_DEPTH."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replaced(item) for item in value]
    if isinstance(value, dict):
        return {_replaced(key): _replaced(item) for key, item in value.items()}
    return value


def loads_object(body: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> dict:
    """As `loads`, for a body that must be a JSON object."""
    value = loads(body, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(value, dict):
        raise EhrBadResponse()
    return value


def too_deep(body: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """True when `body` nests objects/arrays more than `max_depth` deep (judged without parsing it).

    Strings are removed, then every bracket but [ and ] (braces become brackets); each round of
    removing the innermost "[]" pairs takes exactly one level away. All C loops: linear per round.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False  # the common small document: not enough brackets to nest that deep
    brackets = _STRING.sub(b"", body).translate(_TO_SQUARE, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)  # what is left is deeper than max_depth (or unbalanced: not JSON anyway)
