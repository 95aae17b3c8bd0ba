"""The kick-off of a Group $export: what it refuses (400, 403, 404) and what it answers (202)."""

import dataclasses

import orjson
import pytest

from smartapp.sandbox.bulk import views
from smartapp.sandbox.models import ExportJob
from smartapp.sandbox.vendors import rules_for

from .conftest import BASE, GROUP

pytestmark = pytest.mark.usefixtures("record")


def _refused(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.content
    outcome = orjson.loads(response.content)
    assert outcome["resourceType"] == "OperationOutcome"
    if code:
        assert outcome["issue"][0]["code"] == code
    assert not ExportJob.objects.exists()
    return outcome["issue"][0]["diagnostics"]


def test_it_answers_202_with_a_status_url_under_the_same_base(bulk):
    response = bulk.kickoff({"_type": "ServiceRequest"})

    assert response.status_code == 202
    assert response["Content-Location"].startswith(f"http://testserver{BASE}/$export-status/")
    job = ExportJob.objects.get()
    assert (job.client_id, job.group_id, job.params["types"]) == ("bulk-client", GROUP, ["ServiceRequest"])
    assert job.params["members"] == ["pt-1", "pt-2"]


def test_it_requires_prefer_respond_async(bulk):
    response = bulk.kickoff(headers={"HTTP_ACCEPT": "application/fhir+json"})

    assert "Prefer: respond-async" in _refused(response, 400, "invalid")


def test_it_refuses_an_accept_other_than_fhir_json(bulk):
    response = bulk.kickoff(headers={"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "text/html"})

    _refused(response, 400)


def test_it_takes_an_accept_list_naming_fhir_json(bulk):
    accept = "text/html, application/fhir+json;q=0.9"
    response = bulk.kickoff(
        {"_type": "Patient"}, headers={"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": accept}
    )

    assert response.status_code == 202, response.content


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"patient": "Patient/pt-1"}, "Unsupported $export parameter: patient"),
        ({"_type": "Group"}, "not exported by a Group export: Group"),
        ({"_type": "Binary"}, "not exported by a Group export: Binary"),
        ({"_since": "2024-01-01"}, "_since must be a FHIR instant"),
        ({"_since": "2024-01-01T00:00:00"}, "_since must be a FHIR instant"),
        ({"_typeFilter": "ServiceRequest?colour=red"}, "unsupported search parameter"),
        ({"_typeFilter": "ServiceRequest?_count=5"}, "_typeFilter takes search parameters only"),
        ({"_type": "Patient", "_typeFilter": "ServiceRequest?status=active"}, "missing from _type"),
        ({"_outputFormat": "text/csv"}, "Unsupported _outputFormat"),
    ],
)
def test_it_refuses_bad_parameters_with_an_outcome(bulk, params, message):
    assert message in _refused(bulk.kickoff(params), 400)


def test_it_accepts_every_ndjson_output_format(bulk):
    for output_format in ("application/fhir+ndjson", "application/ndjson", "ndjson"):
        response = bulk.kickoff({"_type": "Patient", "_outputFormat": output_format})
        assert response.status_code == 202, response.content
        ExportJob.objects.all().delete()


def test_a_parameter_the_vendor_does_not_take_is_refused(bulk, monkeypatch):
    # athena's table: _type only.
    monkeypatch.setattr(views, "rules_for", lambda vendor: rules_for("athena"))

    response = bulk.kickoff({"_since": "2024-01-01T00:00:00Z"})

    assert "_since" in _refused(response, 400, "not-supported")
    assert bulk.kickoff({"_type": "ServiceRequest"}).status_code == 202


def test_a_vendor_without_bulk_export_has_no_export_route(bulk, monkeypatch):
    monkeypatch.setattr(views, "rules_for", lambda vendor: rules_for("meditech"))

    _refused(bulk.kickoff(), 404, "not-supported")


def test_the_plain_sandbox_takes_every_bulk_parameter(bulk, monkeypatch):
    plain = rules_for("")
    monkeypatch.setattr(views, "rules_for", lambda vendor: dataclasses.replace(plain))

    response = bulk.kickoff(
        {
            "_type": "ServiceRequest",
            "_since": "2024-01-01T00:00:00Z",
            "_typeFilter": "ServiceRequest?status=active",
        }
    )

    assert response.status_code == 202, response.content


def test_it_needs_a_token(bulk):
    response = bulk.client.get(f"{BASE}/Group/{GROUP}/$export", HTTP_PREFER="respond-async")

    _refused(response, 401, "login")


def test_a_patient_level_token_may_not_export_a_group(bulk, token):
    response = bulk.kickoff(bearer=token("patient/*.rs", patient_id="pt-1"))

    assert "No user/ or system/ scope" in _refused(response, 403, "forbidden")


def test_an_asked_type_without_a_scope_is_forbidden(bulk, token):
    response = bulk.kickoff({"_type": "ServiceRequest"}, bearer=token("system/Patient.rs"))

    assert "ServiceRequest" in _refused(response, 403)


def test_without_type_it_exports_only_the_types_the_token_may_read(bulk, token):
    response = bulk.kickoff(bearer=token("system/Patient.rs user/ServiceRequest.read"))

    assert response.status_code == 202
    assert ExportJob.objects.get().params["types"] == ["Patient", "ServiceRequest"]


def test_an_unknown_group_is_not_found(bulk):
    _refused(bulk.kickoff(group="nobody"), 404, "not-found")


def test_a_post_kickoff_takes_a_parameters_body(bulk):
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "MedicationRequest"},
            {"name": "_since", "valueInstant": "2024-03-01T00:00:00Z"},
        ],
    }
    response = bulk.client.post(
        f"{BASE}/Group/{GROUP}/$export",
        orjson.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {bulk.bearer}",
        HTTP_PREFER="respond-async",
    )

    assert response.status_code == 202, response.content
    assert ExportJob.objects.get().params["since"] == "2024-03-01T00:00:00+00:00"


def test_a_post_kickoff_refuses_a_body_that_is_not_parameters(bulk):
    response = bulk.client.post(
        f"{BASE}/Group/{GROUP}/$export",
        b'{"resourceType": "Patient"}',
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {bulk.bearer}",
        HTTP_PREFER="respond-async",
    )

    _refused(response, 400)
