"""$export under the vendor emulations' FHIR bases: their bulk parameters, their URLs, their tokens."""

import dataclasses
import secrets
import uuid
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from smartapp.sandbox.bulk import views
from smartapp.sandbox.models import ExportJob, TokenContext
from smartapp.sandbox.vendors import rules_for

from .conftest import GROUP, SYSTEM_SCOPES, Bulk

pytestmark = pytest.mark.usefixtures("record")
TENANT = str(uuid.UUID(int=13))
ORACLE = f"/sandbox/oracle/r4/{TENANT}"
EPIC = "/sandbox/epic/api/FHIR/R4"


@pytest.fixture
def vendor_token(bulk_client):
    def make(vendor: str, tenant: str = "", scope: str = SYSTEM_SCOPES) -> str:
        value = secrets.token_urlsafe(32)
        token = get_access_token_model().objects.create(
            token=value,
            application=bulk_client,
            scope=scope,
            expires=timezone.now() + timedelta(hours=1),
        )
        TokenContext.objects.create(access_token=token, vendor=vendor, tenant=tenant)
        return value

    return make


def _kickoff(bulk: Bulk, base: str, params=None):
    return bulk.client.get(
        f"{base}/Group/{GROUP}/$export",
        params or {},
        HTTP_AUTHORIZATION=f"Bearer {bulk.bearer}",
        HTTP_PREFER="respond-async",
        HTTP_ACCEPT="application/fhir+json",
    )


def test_an_oracle_export_lives_under_its_tenant_base(vendor_token):
    bulk = Bulk(vendor_token("oracle", TENANT))

    kicked = _kickoff(bulk, ORACLE, {"_type": "ServiceRequest", "_since": "2024-01-01T00:00:00Z"})

    assert kicked.status_code == 202, kicked.content
    assert kicked["Content-Location"].startswith(f"http://testserver{ORACLE}/$export-status/")
    job = ExportJob.objects.get()
    assert (job.vendor, job.tenant) == ("oracle", TENANT)
    manifest = orjson.loads(bulk.get(kicked["Content-Location"]).content)
    assert manifest["output"][0]["url"].startswith(f"http://testserver{ORACLE}/$export-file/")
    assert [r["id"] for r in bulk.lines(manifest["output"][0]["url"])] == ["sr-1", "sr-2"]


def test_athena_takes_only_a_type(vendor_token):
    athena = "/sandbox/athena/fhir/r4"
    kicked = _kickoff(Bulk(vendor_token("athena")), athena, {"_typeFilter": "ServiceRequest?status=active"})

    assert kicked.status_code == 400
    assert orjson.loads(kicked.content)["issue"][0]["code"] == "not-supported"
    assert _kickoff(Bulk(vendor_token("athena")), athena, {"_type": "ServiceRequest"}).status_code == 202


def test_a_plain_token_cannot_follow_an_oracle_job(vendor_token, token):
    status_url = _kickoff(Bulk(vendor_token("oracle", TENANT)), ORACLE)["Content-Location"]

    assert Bulk(token()).get(status_url).status_code == 401


def test_meditech_offers_no_export(vendor_token):
    kicked = _kickoff(Bulk(vendor_token("meditech")), "/sandbox/meditech/v2/uscore/R4")

    assert kicked.status_code == 404
    assert not ExportJob.objects.exists()


def test_an_export_holds_only_the_types_the_vendor_base_serves(vendor_token, monkeypatch):
    epic = rules_for("epic")
    without_tasks = dataclasses.replace(epic, search={t: r for t, r in epic.search.items() if t != "Task"})
    monkeypatch.setattr(views, "rules_for", lambda vendor: without_tasks)
    bulk = Bulk(vendor_token("epic", scope="system/*.read"))

    refused = _kickoff(bulk, EPIC, {"_type": "Task"})
    kicked = _kickoff(bulk, EPIC)

    assert refused.status_code == 400
    assert kicked.status_code == 202, kicked.content
    types = ExportJob.objects.get().params["types"]
    assert "Patient" in types and "Task" not in types
