"""Polling an export, its manifest, its NDJSON files, the one-job rule and DELETE."""

from datetime import timedelta

import orjson
import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from smartapp.sandbox.models import ExportJob, Resource
from smartapp.sandbox.store import save_resource

from .conftest import BASE, GROUP, Bulk

pytestmark = pytest.mark.usefixtures("record")


def test_a_running_job_answers_202_with_retry_after_then_200_with_the_manifest(bulk, settings):
    settings.SANDBOX_EXPORT_SECONDS = 30
    status_url = bulk.kickoff({"_type": "ServiceRequest"})["Content-Location"]

    running = bulk.get(status_url)
    assert running.status_code == 202
    assert 1 <= int(running["Retry-After"]) <= 30
    assert running["X-Progress"] == "in-progress"

    ExportJob.objects.update(ready_at=timezone.now() - timedelta(seconds=1))
    done = bulk.get(status_url)
    assert done.status_code == 200
    assert done["Content-Type"] == "application/json"


def test_the_manifest_names_the_request_the_time_and_a_file_per_type(bulk):
    before = timezone.now()
    kicked = bulk.kickoff({"_type": "Patient,ServiceRequest"})
    manifest = orjson.loads(bulk.get(kicked["Content-Location"]).content)

    job = ExportJob.objects.get()
    assert (
        manifest["request"] == f"http://testserver{BASE}/Group/{GROUP}/$export?_type=Patient%2CServiceRequest"
    )
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert before <= parse_datetime(manifest["transactionTime"]) <= timezone.now()
    assert [(e["type"], e["count"]) for e in manifest["output"]] == [("Patient", 2), ("ServiceRequest", 2)]
    assert manifest["output"][1]["url"] == f"http://testserver{BASE}/$export-file/{job.job_id}/1"


def test_files_hold_the_group_members_resources_as_stored(bulk):
    exported = bulk.exported()

    assert exported == {
        "Patient": ["pt-1", "pt-2"],
        "MedicationRequest": ["mr-1", "mr-2", "mr-3"],
        "ServiceRequest": ["sr-1", "sr-2"],
    }
    line = bulk.lines(bulk.manifest({"_type": "ServiceRequest"})["output"][0]["url"])[0]
    assert line == Resource.objects.get(resource_type="ServiceRequest", fhir_id="sr-1").body


def test_a_file_is_streamed_as_fhir_ndjson(bulk):
    url = bulk.manifest({"_type": "MedicationRequest"})["output"][0]["url"]

    response = bulk.get(url, HTTP_ACCEPT="application/fhir+ndjson")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\n") and len(text.splitlines()) == 3


def test_a_file_refuses_an_accept_it_cannot_serve(bulk):
    url = bulk.manifest({"_type": "Patient"})["output"][0]["url"]

    assert bulk.get(url, HTTP_ACCEPT="text/csv").status_code == 406


def test_since_sends_what_changed_after_it_and_everything_of_members_who_joined_later(bulk):
    # pt-1 (a member since 2020) changed mr-2 after the time; pt-2 joined the Group in June: all of pt-2.
    exported = bulk.exported({"_since": "2024-04-01T00:00:00Z"})

    assert exported == {
        "Patient": ["pt-2"],
        "MedicationRequest": ["mr-2", "mr-3"],
        "ServiceRequest": ["sr-2"],
    }


def test_since_after_every_change_and_join_sends_nothing(bulk):
    assert bulk.manifest({"_since": "2024-07-01T00:00:00Z"})["output"] == []


def test_type_filter_applies_the_search_api_filters_and_ors_several(bulk):
    active = bulk.exported({"_type": "ServiceRequest", "_typeFilter": "ServiceRequest?status=active"})
    both = bulk.exported(
        {
            "_type": "ServiceRequest",
            "_typeFilter": ["ServiceRequest?status=active", "ServiceRequest?_id=sr-2"],
        }
    )
    one_value = bulk.exported(
        {"_type": "ServiceRequest", "_typeFilter": "ServiceRequest?status=completed,active"}
    )

    assert active == {"ServiceRequest": ["sr-1"]}
    assert both == one_value == {"ServiceRequest": ["sr-1", "sr-2"]}


def test_a_change_after_the_transaction_time_waits_for_the_next_export(bulk, settings):
    settings.SANDBOX_EXPORT_SECONDS = 30
    status_url = bulk.kickoff({"_type": "MedicationRequest"})["Content-Location"]
    job = ExportJob.objects.get()
    changed = save_resource({**Resource.objects.get(fhir_id="mr-1").body, "status": "stopped"})
    assert changed.last_updated > job.transaction_time
    ExportJob.objects.update(ready_at=timezone.now())

    first = orjson.loads(bulk.get(status_url).content)
    assert [r["id"] for r in bulk.lines(first["output"][0]["url"])] == ["mr-2", "mr-3"]

    settings.SANDBOX_EXPORT_SECONDS = 0
    following = bulk.exported({"_type": "MedicationRequest", "_since": first["transactionTime"]})
    assert following == {"MedicationRequest": ["mr-1"]}


def test_large_outputs_are_split_into_several_files(bulk, settings):
    settings.SANDBOX_EXPORT_FILE_LINES = 2

    manifest = bulk.manifest({"_type": "MedicationRequest"})

    assert [e["count"] for e in manifest["output"]] == [2, 1]
    ids = [r["id"] for e in manifest["output"] for r in bulk.lines(e["url"])]
    assert ids == ["mr-1", "mr-2", "mr-3"]


def test_a_second_kickoff_while_one_runs_is_throttled_per_client(bulk, settings, other_token):
    settings.SANDBOX_EXPORT_SECONDS = 20
    assert bulk.kickoff().status_code == 202

    again = bulk.kickoff()

    assert again.status_code == 429
    assert 1 <= int(again["Retry-After"]) <= 20
    assert orjson.loads(again.content)["issue"][0]["code"] == "throttled"
    assert bulk.kickoff(bearer=other_token).status_code == 202  # another client has its own job
    ExportJob.objects.update(ready_at=timezone.now())
    assert bulk.kickoff().status_code == 202  # a finished job does not hold the next one up


def test_delete_removes_the_job_and_its_files(bulk):
    kicked = bulk.kickoff({"_type": "Patient"})
    status_url = kicked["Content-Location"]
    file_url = orjson.loads(bulk.get(status_url).content)["output"][0]["url"]

    assert bulk.delete(status_url).status_code == 202
    assert bulk.get(status_url).status_code == 404
    assert bulk.get(file_url).status_code == 404
    assert bulk.delete(status_url).status_code == 404


def test_another_clients_token_sees_neither_the_status_nor_the_files(bulk, other_token):
    status_url = bulk.kickoff({"_type": "Patient"})["Content-Location"]
    file_url = orjson.loads(bulk.get(status_url).content)["output"][0]["url"]

    assert bulk.get(status_url, bearer=other_token).status_code == 404
    assert bulk.get(file_url, bearer=other_token).status_code == 404
    assert bulk.delete(status_url, bearer=other_token).status_code == 404
    assert bulk.get(file_url).status_code == 200


def test_a_file_needs_a_token_that_may_still_export_its_type(bulk, token):
    url = bulk.manifest({"_type": "ServiceRequest"})["output"][0]["url"]

    assert bulk.get(url, bearer=token("system/Patient.rs")).status_code == 403
    assert bulk.get(url, bearer=None, HTTP_AUTHORIZATION="").status_code == 401


def test_an_unknown_job_or_file_is_not_found(bulk):
    assert bulk.get(f"{BASE}/$export-status/nosuchjob").status_code == 404
    status_url = bulk.kickoff({"_type": "Patient"})["Content-Location"]
    bulk.get(status_url)
    job_id = status_url.rsplit("/", 1)[1]
    assert bulk.get(f"{BASE}/$export-file/{job_id}/1").status_code == 404


def test_types_outside_the_compartment_are_exported_whole_and_honour_since(token):
    reader = Bulk(token("system/Practitioner.rs system/Patient.rs"))

    assert reader.exported() == {"Patient": ["pt-1", "pt-2"], "Practitioner": ["pr-1"]}
    assert reader.exported({"_type": "Practitioner", "_since": "2024-02-01T00:00:00Z"}) == {}
