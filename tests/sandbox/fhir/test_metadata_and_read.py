"""metadata, read, and the API's 404/405/400 OperationOutcomes."""

import requests

from smartapp.sandbox.fhir.capability import OAUTH_URIS


def _issue_code(response):
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["code"]


def test_metadata_is_a_capability_statement_without_a_token(fhir_get, live_server):
    response = fhir_get("metadata")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    rest = statement["rest"][0]
    assert rest["mode"] == "server"
    resources = {r["type"]: r for r in rest["resource"]}
    assert len(resources) == 15 and {"Binary", "Task", "Appointment", "PractitionerRole", "Group"} <= set(
        resources
    )
    medication_requests = resources["MedicationRequest"]
    assert [i["code"] for i in medication_requests["interaction"]] == ["read", "search-type"]
    assert {"patient", "status", "_lastUpdated"} <= {p["name"] for p in medication_requests["searchParam"]}
    assert medication_requests["searchInclude"] == [
        "MedicationRequest:medication",
        "MedicationRequest:requester",
    ]
    assert resources["AllergyIntolerance"]["searchInclude"] == [
        "AllergyIntolerance:recorder",
        "AllergyIntolerance:asserter",
    ]
    assert resources["DocumentReference"]["searchInclude"] == ["DocumentReference:author"]
    assert [i["code"] for i in resources["Binary"]["interaction"]] == ["read"]


def test_metadata_advertises_the_smart_oauth_uris(fhir_get, live_server):
    security = fhir_get("metadata").json()["rest"][0]["security"]

    uris = next(e for e in security["extension"] if e["url"] == OAUTH_URIS)
    urls = {e["url"]: e["valueUri"] for e in uris["extension"]}
    auth = f"{live_server.url}/sandbox/auth"
    assert urls == {
        "authorize": f"{auth}/authorize/",
        "token": f"{auth}/token/",
        "revoke": f"{auth}/revoke/",
        "introspect": f"{auth}/introspect/",
    }
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"


def test_read_answers_the_resource_with_etag_and_last_modified(record, fhir_get, user_token):
    response = fhir_get("MedicationRequest/mr-1", user_token)

    assert response.status_code == 200
    assert response.json()["id"] == "mr-1"
    assert response.json()["meta"]["versionId"] == "1"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"] == "Mon, 15 Jan 2024 00:00:00 GMT"
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unknown_id_is_a_404_operation_outcome(record, fhir_get, user_token):
    response = fhir_get("Patient/nobody", user_token)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert _issue_code(response) == "not-found"


def test_an_unsupported_type_is_a_404_operation_outcome(record, fhir_get, user_token):
    for path in ("Observation", "Observation/1", "Patient/pt-1/_history/1"):
        response = fhir_get(path, user_token)
        assert response.status_code == 404, path
        assert _issue_code(response) == "not-found"


def test_writing_is_a_405_operation_outcome(record, fhir_base, user_token):
    auth = {"Authorization": f"Bearer {user_token}"}
    response = requests.put(f"{fhir_base}/Patient/pt-1", json={}, headers=auth, timeout=10)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert _issue_code(response) == "not-supported"


def test_an_unknown_parameter_on_read_is_a_400(record, fhir_get, user_token):
    response = fhir_get("Patient/pt-1", user_token, params={"_elements": "id"})

    assert response.status_code == 400
    assert _issue_code(response) == "invalid"


def test_pretty_output_is_indented(record, fhir_get, user_token):
    response = fhir_get("Patient/pt-1", user_token, params={"_pretty": "true", "_format": "json"})

    assert response.status_code == 200
    assert response.text.startswith("{\n  ")
