"""Paging safety against a loopback fake EHR: the token stays on the FHIR base, cycles and caps stop."""

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.paging import is_under_base
from tests.ehr.fhir_fakes import FakeEhr, entry, fhir_json, searchset

TOKEN = "test-access-token-paging"


@pytest.fixture
def fake():
    server = FakeEhr()
    yield server
    server.close()


def _client(fake: FakeEhr, hosts=("127.0.0.1",), **kwargs) -> EhrClient:
    return EhrClient(base_url=fake.base_url, access_token=TOKEN, session=outgoing_session(hosts), **kwargs)


def _patient(fhir_id: str) -> dict:
    return {"resourceType": "Patient", "id": fhir_id}


def _first_page(fake: FakeEhr, next_url: str | None) -> None:
    fake.answers["/fhir/Patient"] = fhir_json(searchset([entry(_patient("p1"))], next_url))


@pytest.mark.parametrize("allowed", [("127.0.0.1",), ("127.0.0.1", "127.0.0.2")])
def test_a_next_link_to_another_host_is_not_followed_even_if_that_host_is_allowed(fake, allowed):
    port = fake.base_url.split(":")[2].split("/")[0]
    _first_page(fake, f"http://127.0.0.2:{port}/fhir/Patient?page=2")

    result = _client(fake, hosts=allowed).search("Patient", {"_count": "1"})

    assert [r["id"] for r in result.matches] == ["p1"]
    assert result.truncated is True
    assert result.requests == 1
    assert fake.paths() == [
        "/fhir/Patient?_count=1"
    ]  # and pytest-socket would have failed a 127.0.0.2 connect


@pytest.mark.parametrize(
    "next_path",
    ["/other/Patient?page=2", "/fhirx/Patient?page=2", "/fhir/../admin/Patient", "/fhir/%2e%2e/admin"],
)
def test_a_next_link_on_the_same_host_outside_the_base_path_is_not_followed(fake, next_path):
    _first_page(fake, f"{fake.origin}{next_path}")
    fake.answers[next_path.split("?")[0]] = fhir_json(searchset([entry(_patient("leak"))]))

    result = _client(fake).search("Patient", {})

    assert [r["id"] for r in result.matches] == ["p1"]
    assert result.truncated is True
    assert fake.paths() == ["/fhir/Patient"]


def test_a_next_link_on_another_port_or_scheme_is_not_followed(fake):
    for other in (
        "http://127.0.0.1:9/fhir/Patient?p=2",
        fake.base_url.replace("http:", "https:") + "/Patient",
    ):
        _first_page(fake, other)
        assert _client(fake).search("Patient", {}).truncated is True
    assert fake.paths() == ["/fhir/Patient", "/fhir/Patient"]


def test_it_follows_next_links_on_the_base_and_sends_the_token_only_there(fake):
    _first_page(fake, f"{fake.base_url}/Patient?page=2")
    fake.answers["/fhir/Patient?page=2"] = fhir_json(
        searchset([entry(_patient("p2"))], f"{fake.base_url}/Patient?page=3")
    )
    fake.answers["/fhir/Patient?page=3"] = fhir_json(searchset([entry(_patient("p3"))]))

    result = _client(fake).search("Patient", {})

    assert [r["id"] for r in result.matches] == ["p1", "p2", "p3"]
    assert (result.truncated, result.requests) == (False, 3)
    for _, headers in fake.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Accept"] == "application/fhir+json"


def test_a_paging_cycle_stops(fake):
    _first_page(fake, f"{fake.base_url}/Patient?page=2")
    fake.answers["/fhir/Patient?page=2"] = fhir_json(
        searchset([entry(_patient("p2"))], f"{fake.base_url}/Patient?page=2")
    )

    result = _client(fake).search("Patient", {})

    assert [r["id"] for r in result.matches] == ["p1", "p2"]
    assert (result.truncated, result.requests) == (True, 2)


def test_the_page_cap_stops_an_endless_server(fake):
    for page in range(1, 10):
        fake.answers[f"/fhir/Patient?page={page}"] = fhir_json(
            searchset([entry(_patient(f"p{page}"))], f"{fake.base_url}/Patient?page={page + 1}")
        )

    result = _client(fake, max_pages=4).search("Patient", [("page", "1")])

    assert len(result.matches) == 4
    assert (result.truncated, result.requests) == (True, 4)


def test_withheld_outcomes_and_included_resources_are_kept_apart_from_matches(fake):
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "suppressed"}]}
    medication = {"resourceType": "Medication", "id": "m1"}
    fake.answers["/fhir/MedicationRequest"] = fhir_json(
        searchset(
            [
                entry({"resourceType": "MedicationRequest", "id": "mr1"}),
                entry({"resourceType": "MedicationRequest", "id": "mr2"}, mode=None),
                entry(medication, mode="include"),
                entry({"resourceType": "Medication", "id": "m2"}, mode=None),  # no mode, other type
                entry(outcome, mode="outcome"),
                entry({**outcome, "id": "o2"}, mode=None),
                {"fullUrl": "urn:uuid:no-resource"},
            ]
        )
    )

    result = _client(fake).search("MedicationRequest", {})

    assert [r["id"] for r in result.matches] == ["mr1", "mr2"]
    assert [r["id"] for r in result.included] == ["m1", "m2"]
    assert len(result.withheld) == 2
    assert all(r["resourceType"] == "OperationOutcome" for r in result.withheld)


@pytest.mark.parametrize(
    ("url", "under"),
    [
        ("https://ehr.example/fhir/r4/Patient?x=1", True),
        ("https://ehr.example/fhir/r4", True),
        ("https://EHR.example:443/fhir/r4/Patient", True),
        ("https://ehr.example/fhir/r4x/Patient", False),
        ("https://ehr.example/fhir/Patient", False),
        ("http://ehr.example/fhir/r4/Patient", False),
        ("https://ehr.example:8443/fhir/r4/Patient", False),
        ("https://ehr.example.evil/fhir/r4/Patient", False),
        ("https://user@ehr.example/fhir/r4/Patient", False),
        ("https://ehr.example/fhir/r4/../admin", False),
        ("https://ehr.example/fhir/r4/%2E%2E/admin", False),
        ("https://ehr.example/fhir/r4/Pat\tient", False),
        ("https://ehr.example\\@evil/fhir/r4/Patient", False),
        ("//ehr.example/fhir/r4/Patient", False),
        ("Patient?page=2", False),
    ],
)
def test_is_under_base_accepts_only_the_same_origin_and_base_path(url, under):
    assert is_under_base(url, "https://ehr.example/fhir/r4") is under
