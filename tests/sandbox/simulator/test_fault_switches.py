"""POST /sandbox/faults/, POST /sandbox/faults/clear/ and GET /sandbox/faults/, over real HTTP."""

import requests
from django.test import RequestFactory

from smartapp.sandbox import faults
from smartapp.sandbox.models import Fault


def _switch_on(sandbox_url, **fields):
    return requests.post(f"{sandbox_url}faults/", json=fields, timeout=10)


def _clear(sandbox_url, **fields):
    return requests.post(f"{sandbox_url}faults/clear/", json=fields, timeout=10)


def _listed(sandbox_url) -> list[dict]:
    return requests.get(f"{sandbox_url}faults/", timeout=10).json()["faults"]


def test_json_switches_a_fault_on_and_lists_it(transactional_db, sandbox_url):
    response = _switch_on(sandbox_url, kind="fhir_429", value=2, client_id="test-client")

    assert response.status_code == 200
    assert response.json()["switched_on"]["kind"] == "fhir_429"
    listed = _listed(sandbox_url)
    assert [(f["kind"], f["value"], f["client_id"], f["remaining"]) for f in listed] == [
        ("fhir_429", "2", "test-client", None)
    ]


def test_the_listing_names_every_kind(transactional_db, sandbox_url):
    listing = requests.get(f"{sandbox_url}faults/", timeout=10).json()

    assert set(listing["kinds"]) == faults.KINDS


def test_an_unknown_kind_is_refused(transactional_db, sandbox_url):
    response = _switch_on(sandbox_url, kind="meteor_strike")

    assert response.status_code == 400
    assert "Unknown fault kind" in response.json()["error"]
    assert not Fault.objects.exists()


def test_a_body_that_is_not_a_json_object_is_refused(transactional_db, sandbox_url):
    response = requests.post(
        f"{sandbox_url}faults/", data="[1, 2]", headers={"Content-Type": "application/json"}, timeout=10
    )

    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]


def test_remaining_must_be_a_positive_count(transactional_db, sandbox_url):
    response = _switch_on(sandbox_url, kind="fhir_500", remaining=0)

    assert response.status_code == 400
    assert not Fault.objects.exists()


def test_a_counted_fault_is_consumed_by_the_requests_it_applies_to(transactional_db, sandbox_url):
    _switch_on(sandbox_url, kind="fhir_503", client_id="test-client", remaining=2)
    request = RequestFactory().get("/sandbox/fhir/Patient")

    assert faults.active(request, client_id="other-client") == {}
    assert faults.active(request, client_id="test-client") == {"fhir_503": ""}
    assert faults.active(request, client_id="test-client") == {"fhir_503": ""}
    assert faults.active(request, client_id="test-client") == {}
    assert _listed(sandbox_url) == []


def test_clear_switches_off_one_kind_for_one_client(transactional_db, sandbox_url):
    _switch_on(sandbox_url, kind="fhir_500", client_id="test-client")
    _switch_on(sandbox_url, kind="fhir_500")
    _switch_on(sandbox_url, kind="latency_ms", value="50", client_id="test-client")

    response = _clear(sandbox_url, kind="fhir_500", client_id="test-client")

    assert response.json()["switched_off"] == 1
    assert {(f["kind"], f["client_id"]) for f in _listed(sandbox_url)} == {
        ("fhir_500", ""),
        ("latency_ms", "test-client"),
    }


def test_clear_without_arguments_switches_every_fault_off(transactional_db, sandbox_url):
    _switch_on(sandbox_url, kind="fhir_500", client_id="test-client")
    _switch_on(sandbox_url, kind="next_broken")

    response = _clear(sandbox_url)

    assert response.json()["switched_off"] == 2
    assert _listed(sandbox_url) == []


def test_clear_refuses_an_unknown_kind(transactional_db, sandbox_url):
    _switch_on(sandbox_url, kind="fhir_500")

    response = _clear(sandbox_url, kind="meteor_strike")

    assert response.status_code == 400
    assert Fault.objects.count() == 1


def test_a_form_post_without_a_csrf_token_is_refused(transactional_db, sandbox_url):
    response = requests.post(f"{sandbox_url}faults/", data={"kind": "fhir_500"}, timeout=10)

    assert response.status_code == 403
    assert not Fault.objects.exists()


def test_the_simulator_forms_switch_a_fault_on_and_off(transactional_db, browser, sandbox_url):
    token = {"sandbox_form_token": browser.form_token}
    on = browser.post(
        f"{sandbox_url}faults/",
        data={"kind": "token_expired", "value": "", "client_id": "", "remaining": "", **token},
        allow_redirects=False,
        timeout=10,
    )
    assert on.status_code == 302
    assert on.headers["Location"] == "/sandbox/#faults"
    assert Fault.objects.get().kind == "token_expired"

    off = browser.post(
        f"{sandbox_url}faults/clear/",
        data={"kind": "token_expired", "client_id": "", **token},
        allow_redirects=False,
        timeout=10,
    )
    assert off.status_code == 302
    assert not Fault.objects.exists()


def test_a_form_post_with_an_unknown_kind_gets_a_400_page(transactional_db, browser, sandbox_url):
    response = browser.post(
        f"{sandbox_url}faults/",
        data={"kind": "meteor_strike", "sandbox_form_token": browser.form_token},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 400
    assert "Unknown fault kind" in response.text
