"""Injected faults on the FHIR API, by request header or by Fault row."""

import time

import requests

from smartapp.sandbox import faults


def test_latency_delays_the_answer_then_answers_normally(record, fhir_get, user_token):
    started = time.monotonic()
    response = fhir_get("Patient/pt-1", user_token, headers={"X-Sandbox-Fault": "latency_ms=300"})

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_latency_applies_to_metadata_too(fhir_get, live_server):
    started = time.monotonic()
    response = fhir_get("metadata", headers={"X-Sandbox-Fault": "latency_ms=250"})

    assert time.monotonic() - started >= 0.25
    assert response.status_code == 200


def test_latency_delays_errors_as_well(record, fhir_get):
    started = time.monotonic()
    response = fhir_get("Patient/pt-1", headers={"X-Sandbox-Fault": "latency_ms=200"})

    assert time.monotonic() - started >= 0.2
    assert response.status_code == 401


def test_fhir_429_answers_too_many_requests_with_retry_after(record, fhir_get, user_token):
    response = fhir_get("Patient", user_token, headers={"X-Sandbox-Fault": "fhir_429=7"})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["issue"][0]["code"] == "throttled"


def test_fhir_500_answers_an_internal_error(record, fhir_get, user_token):
    response = fhir_get("Patient/pt-1", user_token, headers={"X-Sandbox-Fault": "fhir_500"})

    assert response.status_code == 500
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.headers["Cache-Control"] == "no-store"


def test_fhir_503_answers_unavailable_with_retry_after(record, fhir_get, user_token):
    response = fhir_get("MedicationRequest", user_token, headers={"X-Sandbox-Fault": "fhir_503"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["issue"][0]["code"] == "transient"


def test_token_expired_and_token_revoked_answer_401(record, fhir_get, user_token):
    for kind in ("token_expired", "token_revoked"):
        response = fhir_get("Patient/pt-1", user_token, headers={"X-Sandbox-Fault": kind})
        assert response.status_code == 401, kind
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_counted_fault_row_for_the_client_fails_only_the_next_request(record, fhir_get, user_token):
    faults.switch_on(faults.FHIR_500, client_id="test-client", remaining=1)

    assert fhir_get("Patient/pt-1", user_token).status_code == 500
    assert fhir_get("Patient/pt-1", user_token).status_code == 200


def test_a_fault_row_for_another_client_does_not_apply(record, fhir_get, user_token):
    faults.switch_on(faults.FHIR_503, client_id="other-client")

    assert fhir_get("Patient/pt-1", user_token).status_code == 200


def test_next_broken_gives_a_next_link_that_answers_410(record, fhir_get, user_token):
    bundle = fhir_get(
        "MedicationRequest", user_token, params={"_count": "2"}, headers={"X-Sandbox-Fault": "next_broken"}
    ).json()

    assert len(bundle["entry"]) == 2
    next_url = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    response = requests.get(next_url, headers={"Authorization": f"Bearer {user_token}"}, timeout=10)
    assert response.status_code == 410
    assert response.json()["issue"][0]["code"] == "expired"
