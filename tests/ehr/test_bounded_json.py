"""Every EHR response is parsed by ehr.bounded_json: bounded size and depth, strict JSON, EhrBadResponse.

Unit cases for the parser, then the same hostile bodies through each reader that parses an EHR's JSON:
discovery (smart-configuration and CapabilityStatement), the token endpoint, the JWKS, FHIR read and
search, and a Binary served as JSON. None raises anything but the typed error.
"""

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr import bounded_json
from smartapp.ehr.binary import binary_content
from smartapp.ehr.discovery import discover
from smartapp.ehr.errors import EhrBadResponse, LaunchRejected
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.token_endpoint import exchange_code
from tests.ehr.auth_fakes import (
    Answer,
    clean_cache,  # noqa: F401 (fixture)
    fake_ehr,  # noqa: F401 (fixture)
    json_answer,
    make_config,
)
from tests.ehr.fhir_fakes import Answer as FhirAnswer
from tests.ehr.fhir_fakes import FakeEhr
from tests.ehr.test_id_token import endpoints_of, validate

DEEP = {
    "arrays-10000": b"[" * 10_000 + b"]" * 10_000,
    "objects-10000": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "alternating-10000": b'{"a":[' * 5_000 + b"1" + b"]}" * 5_000,
    "arrays-1024": b"[" * 1_024 + b"]" * 1_024,
    "arrays-65": b"[" * 65 + b"]" * 65,
    "in-a-resource-65": b'{"resourceType": "Patient", "x": ' + b"[" * 64 + b"]" * 64 + b"}",
}
NOT_JSON = {
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": Infinity}',
    "overflowing-number": b'{"a": 1e400}',
    "invalid-utf8": b'{"a": "\xff"}',
    "truncated": b'{"a": [1, 2',
    "unbalanced-closers": b"]" * 100,
}


LONE_SURROGATE = b'"\\ud800"'  # a JSON string escaping half a surrogate pair
NOT_JSON_WITH_A_LONE_SURROGATE = {name: body + b" " + LONE_SURROGATE for name, body in NOT_JSON.items()} | {
    "nan-beside-it": b'{"a": NaN, "b": "\\udfff"}',
    "overflow-beside-it": b'{"a": -1e999, "b": "\\udbff"}',
    "deep-beside-it": b'{"b": "\\ud800", "x": ' + b"[" * 100 + b"]" * 100 + b"}",
}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"text": "Ann\\ud800"}', {"text": "Ann\ufffd"}),
        (b'{"text": "\\udc00x\\ud83d\\ude00"}', {"text": "\ufffdx\U0001f600"}),  # the pair stays
        (b'{"\\udfff": ["\\uDBFF", 1.5, null]}', {"\ufffd": ["\ufffd", 1.5, None]}),
    ],
    ids=["in-a-name", "beside-a-valid-pair", "in-a-key-and-a-list"],
)
def test_a_lone_surrogate_costs_its_character_not_the_body(body, expected):
    assert bounded_json.loads(body) == expected


@pytest.mark.parametrize(
    "body", NOT_JSON_WITH_A_LONE_SURROGATE.values(), ids=NOT_JSON_WITH_A_LONE_SURROGATE.keys()
)
def test_a_lone_surrogate_does_not_let_other_faults_through(body):
    with pytest.raises(EhrBadResponse):
        bounded_json.loads(body)


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
def test_a_body_nested_past_the_bound_is_refused(body):
    with pytest.raises(EhrBadResponse):
        bounded_json.loads(body)


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_body_that_is_not_strict_json_is_refused(body):
    with pytest.raises(EhrBadResponse):
        bounded_json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 64 + b"]" * 64,
        b'{"a":' * 63 + b"[1]" + b"}" * 63,
        b'["' + b"[" * 500 + b'", "\\"[[[[[[", "{{{{"]',  # brackets inside strings nest nothing
        b'{"resourceType": "Binary", "data": "' + b"A" * 1_000_000 + b'"}',
    ],
    ids=["arrays-64", "objects-64", "brackets-in-strings", "a-megabyte-string"],
)
def test_a_body_within_the_bounds_is_read(body):
    assert bounded_json.loads(body) is not None


def test_a_body_over_the_size_bound_is_refused():
    with pytest.raises(EhrBadResponse):
        bounded_json.loads(b'"' + b"a" * 100 + b'"', max_bytes=50)


def test_the_message_is_the_fixed_one():
    with pytest.raises(EhrBadResponse) as refused:
        bounded_json.loads(DEEP["arrays-10000"])
    assert str(refused.value) == EhrBadResponse.message


# -- the same bodies through every reader ------------------------------------------------------------------
HOSTILE = {**DEEP, **{k: v for k, v in NOT_JSON.items() if k != "unbalanced-closers"}}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_discovery_refuses_it(fake_ehr, body):  # noqa: F811
    fake_ehr.answers["/fhir/.well-known/smart-configuration"] = Answer(200, body)
    fake_ehr.answers["/fhir/metadata"] = Answer(200, body, content_type="application/fhir+json")

    with pytest.raises(EhrBadResponse):
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_token_endpoint_refuses_it(fake_ehr, body):  # noqa: F811
    fake_ehr.answers["/auth/token"] = Answer(200, body)

    with pytest.raises(EhrBadResponse):
        exchange_code(
            make_config(fake_ehr.base_url),
            token_endpoint=fake_ehr.url("/auth/token"),
            code="c",
            redirect_uri="http://127.0.0.1/cb",
            code_verifier="v" * 64,
        )


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_jwks_reader_refuses_it(fake_ehr, body):  # noqa: F811
    from tests.ehr.test_id_token import claims_for, sign

    fake_ehr.answers["/auth/jwks"] = Answer(200, b'{"keys": ' + body + b"}")

    with pytest.raises(LaunchRejected) as refused:
        validate(fake_ehr, sign(claims_for(fake_ehr)), endpoints=endpoints_of(fake_ehr))
    assert refused.value.reason == "id_token_jwks"


@pytest.fixture
def fhir_fake():
    server = FakeEhr()
    yield server
    server.close()


def _client(fake: FakeEhr) -> EhrClient:
    return EhrClient(base_url=fake.base_url, access_token="t", session=outgoing_session(["127.0.0.1"]))


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_fhir_read_and_search_refuse_it(fhir_fake, body):
    fhir_fake.answers["/fhir/Patient/p-1"] = FhirAnswer(200, body)
    fhir_fake.answers["/fhir/Patient"] = FhirAnswer(200, body)

    with pytest.raises(EhrBadResponse):
        _client(fhir_fake).read("Patient", "p-1")
    with pytest.raises(EhrBadResponse):
        _client(fhir_fake).search("Patient", {"_count": "1"})


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
def test_a_binary_served_as_deep_json_is_refused(body):
    with pytest.raises(EhrBadResponse):
        binary_content("application/fhir+json", body)


def test_a_binary_of_json_that_is_not_json_is_the_attachment_as_sent():
    assert binary_content("application/json", b"{not json").data == b"{not json"


def test_a_good_response_still_reads(fake_ehr):  # noqa: F811
    fake_ehr.answers["/auth/token"] = json_answer({"access_token": "at", "token_type": "Bearer"})
    tokens = exchange_code(
        make_config(fake_ehr.base_url),
        token_endpoint=fake_ehr.url("/auth/token"),
        code="c",
        redirect_uri="http://127.0.0.1/cb",
        code_verifier="v" * 64,
    )
    assert tokens.access_token == "at"
