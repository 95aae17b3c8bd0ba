"""A Group of two patients (a third outside it), and helpers that run Bulk Data exports through Django's test
client (no live server: a streamed file stays a StreamingHttpResponse the tests can look at)."""

import secrets
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from smartapp.sandbox.models import TokenContext
from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic.groups import group_body

BASE = "/sandbox/fhir"
GROUP = "panel-a"
KICKOFF_HEADERS = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}
SYSTEM_SCOPES = "system/Patient.rs system/MedicationRequest.rs system/ServiceRequest.rs"
LONG_AGO = "2020-01-01T00:00:00.000Z"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _request(patient, fhir_id, status="active"):
    return {
        "resourceType": "ServiceRequest",
        "id": fhir_id,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
    }


def _medication(patient, fhir_id):
    return {
        "resourceType": "MedicationRequest",
        "id": fhir_id,
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
    }


@pytest.fixture(autouse=True)
def instant_jobs(settings):
    settings.SANDBOX_EXPORT_SECONDS = 0


@pytest.fixture
def record(db):
    """pt-1 and pt-2 in Group panel-a (pt-2 joined in 2024-06), pt-3 outside it, each with orders."""
    for patient in ("pt-1", "pt-2", "pt-3"):
        save_resource({"resourceType": "Patient", "id": patient}, last_updated=at("2024-01-01"))
    save_resource(_medication("pt-1", "mr-1"), last_updated=at("2024-02-01"))
    save_resource(_medication("pt-1", "mr-2"), last_updated=at("2024-05-01"))
    save_resource(_medication("pt-2", "mr-3"), last_updated=at("2024-02-01"))
    save_resource(_medication("pt-3", "mr-4"), last_updated=at("2024-05-01"))
    save_resource(_request("pt-1", "sr-1"), last_updated=at("2024-03-01"))
    save_resource(_request("pt-2", "sr-2", "completed"), last_updated=at("2024-03-01"))
    save_resource({"resourceType": "Practitioner", "id": "pr-1"}, last_updated=at("2024-01-01"))
    starts = {"pt-1": LONG_AGO, "pt-2": "2024-06-01T00:00:00.000Z"}
    save_resource(group_body(GROUP, "Panel A", ["pt-1", "pt-2"], starts, timezone.now()))


def _token(application, scope: str, patient_id: str = "") -> str:
    value = secrets.token_urlsafe(32)
    token = get_access_token_model().objects.create(
        token=value, application=application, scope=scope, expires=timezone.now() + timedelta(hours=1)
    )
    TokenContext.objects.create(access_token=token, patient_id=patient_id)
    return value


@pytest.fixture
def bulk_client(db):
    return get_application_model().objects.create(
        name="bulk client",
        client_id="bulk-client",
        client_type="confidential",
        authorization_grant_type="client-credentials",
        hash_client_secret=False,
    )


@pytest.fixture
def token(bulk_client):
    """token() -> a system token of the bulk client; token("patient/*.rs", patient_id="pt-1") otherwise."""
    return lambda scope=SYSTEM_SCOPES, **context: _token(bulk_client, scope, **context)


@pytest.fixture
def other_token(db):
    application = get_application_model().objects.create(
        name="other", client_id="other-client", client_type="confidential", hash_client_secret=False
    )
    return _token(application, SYSTEM_SCOPES)


class Bulk:
    """Kick-off, poll and file download against the sandbox FHIR base, with one bearer token by default."""

    def __init__(self, bearer: str):
        self.client = Client()
        self.bearer = bearer

    def _auth(self, bearer, headers):
        return {"HTTP_AUTHORIZATION": f"Bearer {bearer or self.bearer}", **headers}

    def kickoff(self, params=None, *, group=GROUP, bearer=None, headers=KICKOFF_HEADERS):
        return self.client.get(f"{BASE}/Group/{group}/$export", params or {}, **self._auth(bearer, headers))

    def get(self, url: str, *, bearer=None, **headers):
        return self.client.get(url, **self._auth(bearer, headers))

    def delete(self, url: str, *, bearer=None):
        return self.client.delete(url, **self._auth(bearer, {}))

    def manifest(self, params=None, *, group=GROUP) -> dict:
        """Kick off and poll once (jobs take no time here); the completion manifest."""
        kicked = self.kickoff(params, group=group)
        assert kicked.status_code == 202, kicked.content
        done = self.get(kicked["Content-Location"])
        assert done.status_code == 200, done.content
        return orjson.loads(done.content)

    def lines(self, url: str, *, bearer=None) -> list[dict]:
        response = self.get(url, bearer=bearer, HTTP_ACCEPT="application/fhir+ndjson")
        assert response.status_code == 200, getattr(response, "content", b"")
        text = b"".join(response.streaming_content).decode()
        return [orjson.loads(line) for line in text.splitlines()]

    def exported(self, params=None) -> dict[str, list[str]]:
        """type -> the ids the export's files hold, in file order."""
        found: dict[str, list[str]] = {}
        for entry in self.manifest(params)["output"]:
            found.setdefault(entry["type"], []).extend(r["id"] for r in self.lines(entry["url"]))
        return found


@pytest.fixture
def bulk(token):
    return Bulk(token())
