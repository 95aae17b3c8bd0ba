"""Binary content (https://hl7.org/fhir/R4/binary.html#rest): raw bytes, or a FHIR Binary to unwrap.

Asked with the attachment's own content type, a server answers the raw content; some answer the Binary
resource as JSON instead (contentType + base64 `data`), which is decoded here.
"""

import base64
import binascii
import re
from dataclasses import dataclass

from smartapp.ehr import bounded_json
from smartapp.ehr.errors import EhrBadResponse
from smartapp.ehr.paging import is_under_base

_RELATIVE = re.compile(r"Binary/[A-Za-z0-9\-.]{1,64}")
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


@dataclass(frozen=True)
class BinaryContent:
    content_type: str
    data: bytes


def binary_url(reference: str, base_url: str) -> str:
    """The URL of `reference` ("Binary/123", or an absolute URL on the FHIR base); EhrBadResponse else.

    An attachment URL is EHR data: off the base it would carry the token to whoever the data names.
    """
    if not isinstance(reference, str):
        raise EhrBadResponse()
    if _RELATIVE.fullmatch(reference) and reference.split("/")[1] not in (".", ".."):
        return f"{base_url}/{reference}"
    if is_under_base(reference, base_url):
        return reference
    raise EhrBadResponse()


def binary_content(content_type: str, body: bytes) -> BinaryContent:
    """The attachment's bytes: decoded from a FHIR Binary resource if that is what came back."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in _JSON_TYPES and (wrapped := _binary_resource(body)) is not None:
        return _unwrap(wrapped)
    return BinaryContent(content_type or "application/octet-stream", body)


def _binary_resource(body: bytes) -> dict | None:
    if bounded_json.too_deep(body):
        raise EhrBadResponse()  # nested past any real Binary: hostile, refused before it is parsed
    try:
        resource = bounded_json.loads(body)
    except EhrBadResponse:
        return None  # JSON content type but not JSON: the attachment itself, as sent
    return resource if isinstance(resource, dict) and resource.get("resourceType") == "Binary" else None


def _unwrap(resource: dict) -> BinaryContent:
    content_type, data = resource.get("contentType"), resource.get("data", "")
    if not isinstance(content_type, str) or not content_type or not isinstance(data, str):
        raise EhrBadResponse()
    try:
        return BinaryContent(content_type, base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise EhrBadResponse() from None
