"""Each vendor base enforces its table: accepted and required parameters, types, `_include`, `_sort`,
`_lastUpdated` prefixes, page sizes and next links. Refusals are 400 OperationOutcomes naming the
parameter (never a value)."""

from urllib.parse import parse_qsl, urlsplit

import requests

from smartapp.sandbox.fhir import capability
from smartapp.sandbox.store import save_resource
from tests.sandbox.vendors.conftest import OTHER_TENANT, diagnostics


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(
        e["resource"]["id"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"
    )


def _link(response, relation: str) -> str | None:
    return next((link["url"] for link in response.json()["link"] if link["relation"] == relation), None)


def test_oracle_refuses_a_service_request_search_without_a_patient(record, get):
    response = get("oracle", "ServiceRequest", params={"status": "active"})
    unnamed = get("oracle", "ServiceRequest", params={"_lastUpdated": "ge2024-01-01T00:00:00Z"})

    assert response.status_code == 400
    assert "status" in diagnostics(response)
    assert unnamed.status_code == 400
    assert diagnostics(unnamed) == "A ServiceRequest search requires one of: _id, patient, subject"


def test_oracle_refuses_category_and_sort_on_service_requests(record, get):
    by_category = get("oracle", "ServiceRequest", params={"patient": "pt-1", "category": "x|y"})
    sorted_ = get("oracle", "ServiceRequest", params={"patient": "pt-1", "_sort": "_lastUpdated"})

    assert by_category.status_code == 400 and diagnostics(by_category).endswith(": category")
    assert sorted_.status_code == 400 and diagnostics(sorted_).endswith(": _sort")
    assert by_category.json()["issue"][0]["code"] == "invalid"


def test_oracle_takes_a_patient_with_last_updated_ge_and_a_time(record, get):
    found = get(
        "oracle",
        "ServiceRequest",
        params={"subject": "Patient/pt-1", "_lastUpdated": "ge2000-01-01T00:00:00Z"},
    )
    no_time = get("oracle", "ServiceRequest", params={"patient": "pt-1", "_lastUpdated": "ge2000-01-01"})
    wrong_prefix = get(
        "oracle", "ServiceRequest", params={"patient": "pt-1", "_lastUpdated": "gt2000-01-01T00:00:00Z"}
    )

    assert _ids(found) == ["sr-1", "sr-2"]
    assert no_time.status_code == wrong_prefix.status_code == 400
    assert diagnostics(no_time) == "_lastUpdated must be prefixed by ge or le and include a time"


def test_the_plain_sandbox_still_searches_every_patients_service_requests(record, get):
    assert _ids(get("", "ServiceRequest", params={"status": "active"})) == ["sr-1", "sr-2"]


def test_an_include_the_vendor_does_not_support_is_refused(record, get):
    refused = get(
        "epic", "MedicationRequest", params={"patient": "pt-1", "_include": "MedicationRequest:medication"}
    )
    plain = get(
        "", "MedicationRequest", params={"patient": "pt-1", "_include": "MedicationRequest:medication"}
    )

    assert refused.status_code == 400
    assert diagnostics(refused) == "Unsupported _include for MedicationRequest: MedicationRequest:medication"
    assert plain.status_code == 200 and any(e["search"]["mode"] == "include" for e in plain.json()["entry"])


def test_a_type_the_vendor_does_not_serve_is_404_for_search_and_read(record, get):
    searched = get("meditech", "Group", params={"_id": "g-1"})
    read = get("meditech", "Group/g-1")
    binary_search = get("oracle", "Binary", params={"_id": "bin-1"})

    assert searched.status_code == read.status_code == binary_search.status_code == 404
    assert searched.json()["issue"][0]["code"] == "not-found"


def test_the_capability_statement_lists_only_what_the_vendor_allows(record, base_of):
    oracle = requests.get(f"{base_of('oracle')}/metadata", timeout=15).json()
    meditech = requests.get(f"{base_of('meditech')}/metadata", timeout=15).json()
    plain = requests.get(f"{base_of('')}/metadata", timeout=15).json()

    def resource(statement, resource_type):
        return next((r for r in statement["rest"][0]["resource"] if r["type"] == resource_type), None)

    service_request = resource(oracle, "ServiceRequest")
    assert {p["name"] for p in service_request["searchParam"]} == {
        "_id",
        "patient",
        "subject",
        "_lastUpdated",
    }
    assert "searchInclude" not in service_request
    assert resource(meditech, "Group") is None and resource(meditech, "Binary") is not None
    assert "ServiceRequest:patient" in resource(plain, "ServiceRequest")["searchInclude"]
    assert oracle["implementation"]["url"] == base_of("oracle")
    group_export = [{"name": "export", "definition": capability.GROUP_EXPORT}]
    assert resource(oracle, "Group")["operation"] == resource(plain, "Group")["operation"] == group_export


def _tasks(count: int) -> None:
    task = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "for": {"reference": "Patient/pt-1"},
    }
    for n in range(count):
        save_resource({**task, "id": f"many-{n}"})


def test_a_vendor_pages_by_its_default_size_with_its_own_next_links(record, get, base_of):
    _tasks(25)  # athena's default page is 20

    first = get("athena", "Task", params={"patient": "pt-1"})
    next_url = _link(first, "next")
    second = requests.get(
        next_url, headers={"Authorization": first.request.headers["Authorization"]}, timeout=15
    )

    assert len(first.json()["entry"]) == 20
    assert next_url.startswith(f"{base_of('athena')}/Task?")
    assert "_getpagesoffset" in dict(parse_qsl(urlsplit(next_url).query))
    assert "_page_token" not in next_url
    assert len(second.json()["entry"]) == 7  # task-1, task-2 and the 25 made here
    assert _link(second, "next") is None


def test_a_next_link_works_only_on_the_base_that_made_it(record, get):
    _tasks(25)
    first = get("athena", "Task", params={"patient": "pt-1"})
    token = dict(parse_qsl(urlsplit(_link(first, "next")).query))["_getpagesoffset"]

    on_plain = get("", "Task", params={"patient": "pt-1", "_page_token": token})
    on_meditech = get("meditech", "Task", params={"patient": "pt-1", "page": token})

    assert on_plain.status_code == on_meditech.status_code == 400
    assert diagnostics(on_plain) == "Invalid paging token"


def test_a_count_above_the_vendors_maximum_is_clamped(record, get):
    _tasks(105)  # MEDITECH's maximum page is 100

    response = get("meditech", "Task", params={"patient": "pt-1", "_count": "500"})

    assert len(response.json()["entry"]) == 100
    assert _link(response, "next") is not None


def test_an_oracle_base_pages_with_page_context_and_serves_only_its_tenants_tokens(
    record, get, base_of, vendor_token
):
    _tasks(3)
    token = vendor_token("oracle")  # issued for the default tenant
    response = get("oracle", "Task", params={"patient": "pt-1", "_count": "2"}, token=token)
    headers = {"Authorization": f"Bearer {token}"}
    other_tenant = requests.get(
        f"{base_of('oracle', OTHER_TENANT)}/Task", params={"patient": "pt-1"}, headers=headers, timeout=15
    )

    assert _link(response, "next").startswith(f"{base_of('oracle')}/Task?")
    assert "-pageContext=" in _link(response, "next")
    assert other_tenant.status_code == 401
    assert "not issued for this FHIR base" in other_tenant.headers["WWW-Authenticate"]
