"""What EhrClient makes of what an EHR answers: bad bodies, sizes, statuses, vendor JSON, Binary, threads."""

import base64
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrError, EhrForbidden, EhrUnavailable
from smartapp.ehr.fhir import EhrClient, as_model
from tests.ehr.fhir_fakes import Answer, FakeEhr, entry, fhir_json, searchset

TOKEN = "test-access-token-responses"


@pytest.fixture
def fake():
    server = FakeEhr()
    yield server
    server.close()


def _client(fake: FakeEhr, retries: int = 0, **kwargs) -> EhrClient:
    session = outgoing_session(["127.0.0.1"], retries=retries)
    return EhrClient(base_url=fake.base_url, access_token=TOKEN, session=session, **kwargs)


def test_an_html_page_instead_of_fhir_json_is_a_bad_response(fake):
    html = Answer(200, b"<html><body>Login</body></html>", content_type="text/html")
    fake.answers["/fhir/Patient/p1"] = html
    fake.answers["/fhir/Patient"] = html

    with pytest.raises(EhrBadResponse):
        _client(fake).read("Patient", "p1")
    with pytest.raises(EhrBadResponse):
        _client(fake).search("Patient", {})


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"no": "resourceType"}', b'{"resourceType": "OperationOutcome"}']
)
def test_a_search_that_does_not_answer_a_bundle_is_a_bad_response(fake, body):
    fake.answers["/fhir/Patient"] = Answer(200, body)

    with pytest.raises(EhrBadResponse):
        _client(fake).search("Patient", {})


def test_a_read_that_answers_another_resource_type_is_a_bad_response(fake):
    fake.answers["/fhir/Patient/p1"] = fhir_json({"resourceType": "Practitioner", "id": "p1"})

    with pytest.raises(EhrBadResponse):
        _client(fake).read("Patient", "p1")


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_body_over_the_size_bound_is_a_bad_response(fake, declare_length):
    big = {"resourceType": "Patient", "id": "p1", "text": {"div": "x" * 5000}}
    fake.answers["/fhir/Patient/p1"] = Answer(200, json.dumps(big).encode(), declare_length=declare_length)

    with pytest.raises(EhrBadResponse):
        _client(fake, max_bytes=4096).read("Patient", "p1")
    assert _client(fake, max_bytes=10_000).read("Patient", "p1")["id"] == "p1"


def test_vendor_json_that_breaks_the_strict_models_is_still_returned_raw(fake):
    vendor = {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "epicOnlyField": {"x": 1},  # unknown element
        "extension": [{"url": "http://vendor.example/ext", "valueWeird": 3}],
        "subject": "Patient/p1",  # a string where a Reference belongs
        # status, intent and medication[x] (required) are missing
    }
    fake.answers["/fhir/MedicationRequest/mr1"] = fhir_json(vendor)

    raw = _client(fake).read("MedicationRequest", "mr1")

    assert raw == vendor
    model = as_model(raw)  # lenient: what fits is kept, what does not is dropped, nothing raises
    assert (model.id, model.subject, model.status) == ("mr1", None, None)


def test_as_model_builds_a_model_from_good_data_and_refuses_unknown_types():
    model = as_model({"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe"}]})

    assert model.name[0].family == "Doe"
    assert as_model({"resourceType": "NoSuchType", "id": "x"}) is None
    assert as_model({"resourceType": "../os"}) is None
    assert as_model({"resourceType": "Patient", "id": "p2", "birthDate": "not a date"}).birthDate is None
    assert as_model({"resourceType": "Patient", "name": "not a list"}).name is None


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, EhrAuthExpired), (403, EhrForbidden), (404, EhrBadResponse), (400, EhrBadResponse),
     (410, EhrBadResponse), (500, EhrUnavailable), (503, EhrUnavailable), (429, EhrUnavailable)],
)  # fmt: skip
def test_statuses_map_to_the_typed_errors_with_fixed_messages(fake, status, error):
    fake.answers["/fhir/Patient/p1"] = Answer(status, b'{"resourceType": "OperationOutcome", "id": "Zqx"}')

    with pytest.raises(error) as raised:
        _client(fake).read("Patient", "p1")

    assert "Zqx" not in str(raised.value) and TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None


def test_unavailable_carries_a_capped_retry_after(fake):
    fake.answers["/fhir/Patient/p1"] = Answer(429, b"{}", headers={"Retry-After": "3600"})
    fake.answers["/fhir/Patient/p2"] = Answer(503, b"{}", headers={"Retry-After": "7"})

    with pytest.raises(EhrUnavailable) as capped:
        _client(fake).read("Patient", "p1")
    with pytest.raises(EhrUnavailable) as plain:
        _client(fake).read("Patient", "p2")

    assert capped.value.retry_after == 900
    assert plain.value.retry_after == 7


def test_a_redirect_is_not_followed(fake):
    fake.answers["/fhir/Patient/p1"] = Answer(302, b"", headers={"Location": f"{fake.origin}/elsewhere"})

    with pytest.raises(EhrBadResponse):
        _client(fake).read("Patient", "p1")
    assert fake.paths() == ["/fhir/Patient/p1"]


def test_a_refused_connection_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request: nothing listens there
    client = EhrClient(
        base_url=f"http://127.0.0.1:{port}/fhir", access_token=TOKEN,
        session=outgoing_session(["127.0.0.1"], retries=0),
    )  # fmt: skip

    with pytest.raises(EhrUnavailable) as raised:
        client.read("Patient", "p1")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_ehr_host_off_the_allow_list_is_refused_before_any_socket(settings):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    client = EhrClient(base_url="http://127.0.0.3:8000/fhir", access_token=TOKEN)

    with pytest.raises(EhrError):
        client.read("Patient", "p1")  # pytest-socket would fail a connect to 127.0.0.3


@pytest.mark.parametrize("resource_id", ["..", "a/b", "p1?x=1", "", "x" * 65])
def test_an_id_that_is_not_a_fhir_id_is_not_requested(fake, resource_id):
    with pytest.raises(EhrBadResponse):
        _client(fake).read("Patient", resource_id)
    assert fake.requests == []


def test_every_request_is_reported_to_the_hook_without_bodies(fake):
    calls = []
    fake.answers["/fhir/Patient/p1"] = fhir_json({"resourceType": "Patient", "id": "p1"})
    fake.answers["/fhir/Patient"] = fhir_json(searchset([entry({"resourceType": "Patient", "id": "p1"})]))
    client = _client(fake, on_request=lambda *args: calls.append(args))

    client.read("Patient", "p1")
    client.search("Patient", {})
    with pytest.raises(EhrBadResponse):
        client.read("Patient", "missing")

    assert calls == [("Patient", "read", 200), ("Patient", "search", 200), ("Patient", "read", 404)]


def test_a_binary_answered_as_fhir_json_is_decoded_and_raw_content_is_kept(fake):
    wrapped = {
        "resourceType": "Binary",
        "contentType": "application/pdf",
        "data": base64.b64encode(b"%PDF").decode(),
    }
    fake.answers["/fhir/Binary/b1"] = fhir_json(wrapped)
    fake.answers["/fhir/Binary/b2"] = Answer(200, b'{"a": 1}', content_type="application/json")
    fake.answers["/fhir/Binary/b3"] = fhir_json(
        {"resourceType": "Binary", "contentType": "text/plain", "data": "!!"}
    )

    assert _client(fake).binary("Binary/b1", accept="application/pdf").data == b"%PDF"
    raw = _client(fake).binary(f"{fake.base_url}/Binary/b2", accept="application/json")
    assert (raw.content_type, raw.data) == ("application/json", b'{"a": 1}')
    with pytest.raises(EhrBadResponse):
        _client(fake).binary("Binary/b3", accept="text/plain")  # not base64
    assert fake.requests[0][1]["Accept"] == "application/pdf"


@pytest.mark.parametrize(
    "reference",
    [
        "http://127.0.0.2/fhir/Binary/b1",
        "https://files.example/b1",
        "Binary/../x",
        "Patient/p1",
        "/Binary/b1",
    ],
)
def test_a_binary_reference_off_the_base_is_not_requested(fake, reference):
    with pytest.raises(EhrBadResponse):
        _client(fake).binary(reference, accept="application/pdf")
    assert fake.requests == []


def test_fhirclient_cannot_page_off_the_base_through_the_client(fake):
    from fhirclient.models.bundle import Bundle

    with pytest.raises(EhrBadResponse):
        Bundle.read_from("http://127.0.0.2/fhir/Patient?page=2", _client(fake).fhir_server())
    with pytest.raises(NotImplementedError):
        _client(fake).fhir_server().post_json("Patient", {"resourceType": "Patient"})
    assert fake.requests == []


def test_concurrent_searches_share_one_client(fake):
    for page in range(1, 4):
        next_url = f"{fake.base_url}/Patient?page={page + 1}" if page < 3 else None
        fake.answers[f"/fhir/Patient?page={page}"] = fhir_json(
            searchset([entry({"resourceType": "Patient", "id": f"p{page}"})], next_url)
        )
    client = _client(fake)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.search("Patient", [("page", "1")]), range(16)))

    assert all([r["id"] for r in result.matches] == ["p1", "p2", "p3"] for result in results)
    assert client.request_count == 16 * 3 == len(fake.requests)
