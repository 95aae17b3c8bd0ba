"""Small FHIR files written to a temporary folder, and the sandbox_import command run on them."""

import io
import json

import pytest
from django.core.management import call_command

from smartapp.sandbox.models import Resource

PT_UUID = "urn:uuid:0d3f4c1e-7a52-4f7e-9d8a-1b2c3d4e5f60"
PR_UUID = "urn:uuid:5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
NPI = "http://hl7.org/fhir/sid/us-npi"


def bundle(bundle_type: str, *entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": bundle_type, "entry": list(entries)}


def posted(resource: dict, full_url: str = "") -> dict:
    """A transaction entry that POSTs `resource`."""
    entry = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
    return {"fullUrl": full_url, **entry} if full_url else entry


def practitioner(npi: str, **extra) -> dict:
    return {"resourceType": "Practitioner", "identifier": [{"system": NPI, "value": npi}], **extra}


def order(subject: str, requester: str, **extra) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": subject},
        "requester": {"reference": requester},
        "medicationCodeableConcept": {"text": "Aspirin 81 MG"},
        **extra,
    }


@pytest.fixture
def write(tmp_path):
    """write("name.json", document) or write("name.ndjson", [resource, ...]) -> the file's path."""

    def write_file(name: str, content) -> str:
        path = tmp_path / name
        if name.endswith(".ndjson"):
            text = "\n".join(json.dumps(line) if isinstance(line, dict) else line for line in content)
        else:
            text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text)
        return str(path)

    return write_file


@pytest.fixture
def run_import(db):
    """run_import(path, ...) -> the command's output."""

    def run(*paths) -> str:
        out = io.StringIO()
        call_command("sandbox_import", *paths, stdout=out)
        return out.getvalue()

    return run


def stored(resource_type: str, fhir_id: str) -> dict:
    return Resource.objects.get(resource_type=resource_type, fhir_id=fhir_id).body


def snapshot() -> dict:
    """(type, id) -> (version, lastUpdated, body) of every stored resource."""
    rows = Resource.objects.values_list("resource_type", "fhir_id", "version_id", "last_updated", "body")
    return {(t, i): (v, u, b) for t, i, v, u, b in rows}
