"""Binary reads (https://hl7.org/fhir/R4/binary.html#rest): the resource as FHIR JSON, or its raw content."""

import base64
import binascii

from django.http import HttpResponse

from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import Resource

_FHIR_JSON_TYPES = ("application/fhir+json", "application/json+fhir")


def wants_resource(request) -> bool:
    """True when the client asks for the Binary resource itself rather than its content."""
    requested_format = request.GET.get("_format", "")
    if requested_format:
        return "json" in requested_format
    accept = request.headers.get("Accept", "")
    return any(media_type in accept for media_type in _FHIR_JSON_TYPES)


def content_response(resource: Resource) -> HttpResponse:
    """The Binary's decoded bytes in its own contentType, which must never be sniffed or run as a page."""
    try:
        content = base64.b64decode(resource.body.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        raise FhirError(500, "The Binary's data is not valid base64") from None
    response = HttpResponse(
        content, content_type=resource.body.get("contentType") or "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # An HTML document from the EHR is shown in a sandbox: no scripts, no same-origin access.
    response["Content-Security-Policy"] = "sandbox"
    return response
