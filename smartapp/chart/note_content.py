"""Turning a note's bytes into something the note viewer can show safely: text, sanitized HTML, or a PDF.

A note's HTML comes from outside (another vendor, a scanner, a dictation system) and must never run or
fetch anything in the clinician's browser: it goes through nh3 (Ammonia) with a short allow-list of
formatting tags, no attributes beyond links and table spans, and links only to http(s).
"""

import base64
import binascii
import codecs
import re
from dataclasses import dataclass

import nh3

TEXT, HTML, PDF, UNSUPPORTED = "text", "html", "pdf", "unsupported"
MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_HTML_BYTES = 2 * 1024 * 1024
MAX_PDF_BYTES = 20 * 1024 * 1024
# base64 grows data by 4/3: an inline attachment larger than this decodes to more than MAX_PDF_BYTES.
MAX_INLINE_BASE64_CHARS = MAX_PDF_BYTES * 4 // 3 + 4
PDF_MAGIC = b"%PDF-"

SAFE_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "pre", "code", "blockquote"}
    | {"span", "div", "hr", "table", "thead", "tbody", "tr", "th", "td"}
    | {f"h{level}" for level in range(1, 7)}
)
# Removed with everything inside them. Other tags (form, font, center...) are unwrapped: their text stays.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "title", "iframe", "object", "embed", "svg", "math", "noscript", "template"}
    | {"select", "textarea", "button", "frameset", "noembed", "applet", "xmp"}
)
SAFE_ATTRIBUTES = {"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}}
LINK_REL = "noopener noreferrer nofollow"
WEB_SCHEMES = ("http://", "https://")

_CLEANER = nh3.Cleaner(
    tags=set(SAFE_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items()},
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes={"http", "https"},
    url_relative="deny",  # a relative link would point into smartapp itself
)

# Formats a clinician may meet, named the way they would name them.
FORMAT_NAMES = {
    "application/msword": "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/rtf": "a Rich Text (RTF) document",
    "text/rtf": "a Rich Text (RTF) document",
    "application/xml": "an XML document",
    "text/xml": "an XML document",
    "application/hl7-v3+xml": "a CDA (XML) document",
    "application/dicom": "a DICOM image",
    "application/zip": "a ZIP archive",
    "application/octet-stream": "a file of unknown type",
}
_SHOWN_CONTENT_TYPE = re.compile(r"[^a-z0-9.+/-]")


@dataclass(frozen=True)
class NoteBody:
    kind: str  # TEXT | HTML | PDF | UNSUPPORTED
    text: str = ""  # kind TEXT: the decoded text (the template escapes it)
    html: str = ""  # kind HTML: sanitized markup, safe to mark safe in a template
    data: bytes = b""  # kind PDF: the document's bytes, checked to be a PDF
    message: str = ""  # kind UNSUPPORTED: a plain sentence saying why the note cannot be shown


def render_note(content_type: str, data: bytes) -> NoteBody:
    """What the note viewer shows for a note of `content_type` whose content is `data`."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        return _unsupported("The note has no content that smartapp could read.")
    media_type, charset = parse_content_type(content_type)
    if media_type == "text/plain":
        return _plain_text(data, charset)
    if media_type in ("text/html", "application/xhtml+xml"):
        return _html(data, charset)
    if media_type == "application/pdf":
        return _pdf(data)
    return _unsupported(unsupported_message(media_type))


def parse_content_type(content_type) -> tuple[str, str]:
    """The lower-case media type and charset parameter ("" if absent) of a Content-Type value."""
    if not isinstance(content_type, str):
        return "", ""
    media_type, *parameters = content_type[:200].split(";")
    charset = ""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset


def unsupported_message(media_type: str) -> str:
    """A plain sentence telling the clinician that this format cannot be shown, and what to do."""
    if not media_type:
        return (
            "The note does not say what format it is in, so smartapp cannot show it. Download it to read it."
        )
    if media_type in FORMAT_NAMES:
        name = FORMAT_NAMES[media_type]
    elif media_type.startswith("image/"):
        name = "an image"
    else:
        name = f"in a format ({_SHOWN_CONTENT_TYPE.sub('', media_type)[:80]})"
    return f"This note is {name}, which smartapp cannot show. Download it to read it."


def attachment_bytes(attachment: dict) -> bytes | None:
    """The decoded `attachment.data` (base64), or None when absent, too large or not valid base64."""
    if not isinstance(attachment, dict) or not isinstance(attachment.get("data"), str):
        return None
    encoded = attachment["data"]
    if len(encoded) > MAX_INLINE_BASE64_CHARS * 2:  # whitespace allowance; checked again below
        return None
    compact = "".join(encoded.split())  # some vendors wrap base64 in lines
    if not compact or len(compact) > MAX_INLINE_BASE64_CHARS:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def sanitize_html(markup: str) -> str:
    """`markup` reduced to safe formatting: nothing that runs, styles itself, or loads a resource."""
    return _CLEANER.clean(markup)


def _plain_text(data: bytes, charset: str) -> NoteBody:
    if len(data) > MAX_TEXT_BYTES:
        return _unsupported(_too_large("text"))
    return NoteBody(kind=TEXT, text=_decode(data, charset))


def _html(data: bytes, charset: str) -> NoteBody:
    if len(data) > MAX_HTML_BYTES:
        return _unsupported(_too_large("HTML"))
    return NoteBody(kind=HTML, html=sanitize_html(_decode(data, charset)))


def _pdf(data: bytes) -> NoteBody:
    if not data.startswith(PDF_MAGIC):
        return _unsupported("The note says it is a PDF but is not one.")
    if len(data) > MAX_PDF_BYTES:
        return _unsupported(_too_large("PDF"))
    return NoteBody(kind=PDF, data=data)


def _decode(data: bytes, charset: str) -> str:
    """`data` as text in `charset` (UTF-8 when absent or unknown), bad bytes replaced rather than fatal."""
    try:
        encoding = codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        encoding = "utf-8"
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # drops a byte-order mark, which would otherwise show as a stray character
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:  # a codec that is not a text encoding ("base64", "rot13", "zlib")
        return data.decode("utf-8-sig", errors="replace")


def _too_large(what: str) -> str:
    return f"This {what} note is too large to show here. Download it to read it."


def _unsupported(message: str) -> NoteBody:
    return NoteBody(kind=UNSUPPORTED, message=message)
