"""Bulk Data faults: a failed job, expired files, a slow job; and the FHIR API's own faults on bulk routes."""

import orjson
import pytest

from smartapp.sandbox import faults
from smartapp.sandbox.models import ExportJob

pytestmark = pytest.mark.usefixtures("record")


def test_export_failed_makes_the_status_answer_500_with_an_outcome(bulk):
    kicked = bulk.kickoff(headers={"HTTP_PREFER": "respond-async", "HTTP_X_SANDBOX_FAULT": "export_failed"})

    failed = bulk.get(kicked["Content-Location"])

    assert failed.status_code == 500
    outcome = orjson.loads(failed.content)
    assert outcome["issue"][0] == {
        "severity": "error",
        "code": "exception",
        "diagnostics": "The export failed (injected fault)",
    }
    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    assert bulk.kickoff().status_code == 202  # a failed job holds nothing up


def test_a_counted_export_failed_row_fails_one_job_only(bulk, bulk_client):
    faults.switch_on(faults.EXPORT_FAILED, client_id=bulk_client.client_id, remaining=1)

    first = bulk.get(bulk.kickoff()["Content-Location"])
    second = bulk.get(bulk.kickoff()["Content-Location"])

    assert (first.status_code, second.status_code) == (500, 200)


def test_export_file_expired_answers_410_gone(bulk):
    url = bulk.manifest({"_type": "Patient"})["output"][0]["url"]

    expired = bulk.get(url, HTTP_X_SANDBOX_FAULT="export_file_expired")

    assert expired.status_code == 410
    assert orjson.loads(expired.content)["issue"][0]["code"] == "expired"
    assert bulk.get(url).status_code == 200  # only while the fault is on


def test_export_slow_keeps_the_job_running_for_its_seconds(bulk):
    kicked = bulk.kickoff(headers={"HTTP_PREFER": "respond-async", "HTTP_X_SANDBOX_FAULT": "export_slow=5"})

    running = bulk.get(kicked["Content-Location"])

    assert running.status_code == 202
    assert running["Retry-After"] in {"4", "5"}


def test_the_fhir_api_faults_apply_to_the_bulk_routes(bulk):
    throttled = bulk.kickoff(headers={"HTTP_PREFER": "respond-async", "HTTP_X_SANDBOX_FAULT": "fhir_429=9"})
    status_url = bulk.kickoff()["Content-Location"]

    assert (throttled.status_code, throttled["Retry-After"]) == (429, "9")
    assert bulk.get(status_url, HTTP_X_SANDBOX_FAULT="fhir_503").status_code == 503
