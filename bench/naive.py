"""The naive baseline: fhirclient used the way its documentation shows, one round trip after another.

Searches are built with fhirclient's models (`Model.where(struct=...)`) and sent through its FHIRServer,
read as raw JSON (its strict models refuse some vendor data), then every `next` page is followed in turn,
with the server's default page size; each MedicationRequest's medicationReference gets its own read (no
`_include`). Nothing runs concurrently.
"""

from dataclasses import dataclass

import requests
from fhirclient.models.allergyintolerance import AllergyIntolerance
from fhirclient.models.documentreference import DocumentReference
from fhirclient.models.medicationrequest import MedicationRequest
from fhirclient.models.medicationstatement import MedicationStatement
from fhirclient.server import FHIRServer

SEARCHED_MODELS = (AllergyIntolerance, MedicationRequest, MedicationStatement, DocumentReference)


@dataclass(frozen=True)
class NaiveResult:
    requests: int
    resources: int  # search matches plus resolved Medications
    totals: dict[str, int]  # the server's Bundle.total per searched type (first page)


def naive_chart(fhir_base: str, access_token: str, patient_id: str) -> NaiveResult:
    """Fetch the chart's data the naive way: sequential searches, page by page, one read per medication."""
    session, counter = _counted_session(access_token)
    server = FHIRServer(None, base_uri=fhir_base.rstrip("/") + "/")
    server.session = session
    server.request_json(f"Patient/{patient_id}")
    totals, resources = {}, 0
    for model in SEARCHED_MODELS:
        path = model.where(struct={"patient": patient_id}).construct()
        matches, totals[model.resource_type] = _all_pages(server, path)
        resources += len(matches)
        if model is MedicationRequest:
            resources += _resolve_medications(server, matches)
    return NaiveResult(requests=counter["requests"], resources=resources, totals=totals)


def _counted_session(access_token: str) -> tuple[requests.Session, dict]:
    counter = {"requests": 0}
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token}"

    def count(response, *args, **kwargs):
        counter["requests"] += 1

    session.hooks["response"].append(count)
    return session, counter


def _all_pages(server: FHIRServer, path: str) -> tuple[list[dict], int]:
    """Every match of a search, following `next` links one page at a time; and the first page's total."""
    matches, total, url = [], None, path
    while url:
        bundle = server.request_json(url)
        if total is None:
            total = bundle.get("total", 0)
        matches += [e["resource"] for e in bundle.get("entry", []) if _is_match(e)]
        url = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
    return matches, total or 0


def _is_match(entry: dict) -> bool:
    return entry.get("search", {}).get("mode", "match") == "match"


def _resolve_medications(server: FHIRServer, medication_requests: list[dict]) -> int:
    """Read each request's referenced Medication on its own, as an app without `_include` does."""
    resolved = 0
    for request in medication_requests:
        reference = (request.get("medicationReference") or {}).get("reference", "")
        if reference.startswith("Medication/"):
            server.request_json(reference)
            resolved += 1
    return resolved
