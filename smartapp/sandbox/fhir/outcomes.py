"""FHIR responses: resources as application/fhir+json, and OperationOutcome for every error."""

import orjson
from django.http import HttpResponse

FHIR_JSON = "application/fhir+json; charset=utf-8"

# HTTP status -> OperationOutcome.issue.code (https://hl7.org/fhir/R4/valueset-issue-type.html).
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    410: "expired",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class FhirError(Exception):
    """An error the FHIR API answers with an OperationOutcome of the given HTTP status."""

    def __init__(self, status: int, diagnostics: str, *, code: str = "", headers: dict | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _ISSUE_CODES.get(status, "processing")
        self.headers = headers or {}


def fhir_response(body: dict, *, status: int = 200, pretty: bool = False) -> HttpResponse:
    """`body` serialised as FHIR JSON (UTF-8); stored resource text may be spliced in as orjson.Fragment."""
    text = orjson.dumps(body)
    if pretty:  # Fragments are copied verbatim; indenting them too means one more round.
        text = orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2)
    return HttpResponse(text, status=status, content_type=FHIR_JSON)


def outcome_response(error: FhirError) -> HttpResponse:
    """The OperationOutcome answering `error`, with its headers."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": error.code, "diagnostics": error.diagnostics}],
    }
    response = fhir_response(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response
