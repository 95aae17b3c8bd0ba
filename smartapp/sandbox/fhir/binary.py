"""Binary reads (https://hl7.org/fhir/R4/binary.html#rest): the resource as FHIR JSON, or its raw content.

Under a vendor emulation: Oracle answers only an `Accept` of the content type or FHIR JSON (406 otherwise,
https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/binary.html), and a vendor
that serves each clinical note in several formats (Epic: HTML and RTF, assumption) lists one attachment
per format, each rendered from the stored note when it is read.
"""

import base64
import binascii
import copy
import html
import re

import orjson
from django.http import HttpResponse

from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import Resource
from smartapp.sandbox.vendors import emulation_for, rules_for

_FHIR_JSON_TYPES = ("application/fhir+json", "application/json+fhir")
_TEXT_TYPES = ("text/plain", "text/html")
RTF = "text/rtf"
_TAG = re.compile(r"<[^>]+>")


def wants_resource(request, vendor: str = "") -> bool:
    """True when the client asks for the Binary resource itself rather than its content."""
    requested_format = request.GET.get("_format", "")
    if requested_format:
        return "json" in requested_format
    accept = request.headers.get("Accept", "")
    return any(media_type in accept for media_type in _FHIR_JSON_TYPES)


def content_response(resource: Resource, request=None, vendor: str = "") -> HttpResponse:
    """The Binary's decoded bytes in its own contentType, which must never be sniffed or run as a page."""
    content_type = resource.body.get("contentType") or "application/octet-stream"
    accepted = _accepted_types(request)
    if (
        vendor
        and RTF in accepted
        and RTF in emulation_for(vendor).note_formats
        and content_type in _TEXT_TYPES
    ):
        return _sandboxed(rtf_from(_decoded(resource), content_type), RTF)
    if vendor and rules_for(vendor).binary_exact_accept and not _acceptable(accepted, content_type, vendor):
        raise FhirError(
            406, "The Accept header must name the Binary's content type or FHIR JSON", code="not-supported"
        )
    return _sandboxed(_decoded(resource), content_type)


def _decoded(resource: Resource) -> bytes:
    try:
        return base64.b64decode(resource.body.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        raise FhirError(500, "The Binary's data is not valid base64") from None


def _sandboxed(content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # An HTML document from the EHR is shown in a sandbox: no scripts, no same-origin access.
    response["Content-Security-Policy"] = "sandbox"
    return response


def _accepted_types(request) -> set[str]:
    accept = request.headers.get("Accept", "") if request is not None else ""
    return {part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()}


def _acceptable(accepted: set[str], content_type: str, vendor: str) -> bool:
    wildcard = "*/*" in accepted and emulation_for(vendor).binary_accepts_wildcard
    return wildcard or content_type.lower() in accepted


def rtf_from(content: bytes, content_type: str) -> bytes:
    """A minimal RTF document holding a text or HTML note's text (RTF 1.9: \\par per line, escapes)."""
    text = content.decode("utf-8", errors="replace")
    if content_type == "text/html":
        text = html.unescape(_TAG.sub("\n", text))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    body = "\\par\n".join(_rtf_escape(line) for line in lines)
    return ("{\\rtf1\\ansi\\deff0\n" + body + "\n}").encode("ascii")


def _rtf_escape(line: str) -> str:
    escaped = line.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    return "".join(c if ord(c) < 128 else f"\\u{_signed16(ord(c))}?" for c in escaped)


def _signed16(code: int) -> int:
    code = min(code, 0xFFFF)  # characters beyond the BMP are written as one replacement
    return code - 0x10000 if code > 0x7FFF else code


def with_note_formats(body: dict, formats: tuple[str, ...]) -> dict:
    """A DocumentReference with one more attachment per format for each text or HTML Binary it holds."""
    if not formats:
        return body
    body = copy.deepcopy(body)
    extra = [
        {"attachment": {**item["attachment"], "contentType": fmt}}
        for item in body.get("content") or []
        if isinstance(item, dict) and _is_text_note(item.get("attachment"))
        for fmt in formats
    ]
    body["content"] = (body.get("content") or []) + extra
    return body


def add_note_formats(bundle: dict, formats: tuple[str, ...]) -> dict:
    """The searchset with `with_note_formats` applied to its matched DocumentReferences (in place)."""
    for entry in bundle["entry"]:
        resource = orjson.loads(orjson.dumps(entry["resource"]))
        if resource.get("resourceType") == "DocumentReference":
            entry["resource"] = with_note_formats(resource, formats)
    return bundle


def _is_text_note(attachment) -> bool:
    return (
        isinstance(attachment, dict)
        and attachment.get("contentType") in _TEXT_TYPES
        and str(attachment.get("url", "")).rpartition("/")[0].endswith("Binary")
    )
