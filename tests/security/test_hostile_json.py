"""Hostile-input battery, JSON: what an EHR can nest, overflow or leave out to crash a view (issue 11, #2).

Every JSON body an EHR sends goes through smartapp.ehr.bounded_json (size and nesting depth bounded,
strict RFC 8259), so a 10,000-deep discovery document, token response, JWKS, FHIR resource or Binary is a
clear page, never a RecursionError 500. A token's `expires_in` is clamped to [60 s, 24 h] (absent: 300 s;
not a finite number: the response is unreadable), so nothing overflows a datetime or lives for decades.
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from smartapp.launch.models import Grant
from tests.ehr.auth_fakes import Answer, json_answer
from tests.ehr.test_id_token import JWKS
from tests.security.battery import Watch, assert_clear_page
from tests.security.test_hostile_fhir import launched, open_note

NOTHING = {}
DEEP = 10_000


def nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_objects(depth: int, inner: bytes = b"1") -> bytes:
    return b'{"a":' * depth + inner + b"}" * depth


def deep_resource(resource_type: str, depth: int) -> bytes:
    return b'{"resourceType": "%s", "extension": ' % resource_type.encode() + nested_arrays(depth) + b"}"


HOSTILE_BODIES = {
    "arrays-10000-deep": nested_arrays(DEEP),
    "objects-10000-deep": nested_objects(DEEP),
    "mixed-10000-deep": b'{"a":[' * (DEEP // 2) + b"1" + b"]}" * (DEEP // 2),
    "arrays-1000-deep": nested_arrays(1_000),  # under orjson's own limit, over any sane one
}


def _launch(client, ehr):
    return client.get(f"/launch/?{urlencode({'iss': ehr.iss, 'launch': 'launch-1'})}")


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_deep_discovery_document_is_a_clear_page(client, hostile_ehr, body):
    hostile_ehr.server.answers["/fhir/.well-known/smart-configuration"] = Answer(200, body)
    hostile_ehr.server.answers["/fhir/metadata"] = Answer(200, body, content_type="application/fhir+json")
    watch = Watch()

    page = _launch(client, hostile_ehr)

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert watch.grown() == NOTHING
    watch.event("launch.begin", "bad_response")


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_deep_token_response_is_a_clear_page(client, hostile_ehr, body):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(Answer(200, body))
    watch = Watch()

    page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert not watch.grown().keys() & {"launch", "grant", "user"}


def test_a_deep_jwks_is_a_clear_page(client, hostile_ehr):
    hostile_ehr.server.answers[JWKS] = Answer(200, b'{"keys": ' + nested_arrays(DEEP) + b"}")
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))
    watch = Watch()

    page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 401, "Sign-in could not be verified")
    assert not watch.grown().keys() & {"launch", "grant", "user"}


DEEP_BINARIES = {
    "binary-arrays-10000-deep": nested_arrays(DEEP),
    "binary-objects-10000-deep": nested_objects(DEEP),
    "binary-resource-with-a-deep-element": deep_resource("Binary", DEEP),
    "binary-resource-1000-deep": deep_resource("Binary", 1_000),
}


@pytest.mark.parametrize("body", DEEP_BINARIES.values(), ids=DEEP_BINARIES.keys())
@pytest.mark.parametrize("media_type", ["application/fhir+json", "application/json"])
def test_a_deep_binary_as_json_is_a_clear_note_page(client, hostile_ehr, body, media_type):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers["/fhir/Binary/b-1"] = Answer(200, body, content_type=media_type)
    document = _note({"contentType": "text/html", "url": "Binary/b-1"})

    page = open_note(client, hostile_ehr, chart, document)
    content = open_note(client, hostile_ehr, chart, document, "content")

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert_clear_page(content, 502, "This note could not be loaded.")


def test_a_deep_patient_is_refused_not_rendered(client, hostile_ehr):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers["/fhir/Patient/p-1"] = Answer(
        200, deep_resource("Patient", 1_000), content_type="application/fhir+json"
    )

    page = client.get(chart)

    assert page.status_code in (200, 502)  # the chart's own way of showing an unreadable Patient
    assert_clear_page(page, page.status_code)
    assert "[[[[" not in page.content.decode()


def _note(attachment: dict) -> dict:
    from tests.security.test_hostile_fhir import note

    return note(attachment)


# -- expires_in ---------------------------------------------------------------------------------------------
def _token_with_raw_expires_in(ehr, auth, literal: bytes) -> Answer:
    body = json.dumps(ehr.token_body(auth, expires_in="__EXPIRES__")).encode()
    return Answer(200, body.replace(b'"__EXPIRES__"', literal))


UNREADABLE_EXPIRES_IN = {
    "expires-in-nan": b"NaN",
    "expires-in-infinity": b"Infinity",
    "expires-in-minus-infinity": b"-Infinity",
    "expires-in-1e400": b"1e400",
    "expires-in-word": b'"soon"',
    "expires-in-true": b"true",
    "expires-in-superscript-digit": '"\u00b2"'.encode(),
    "expires-in-5000-digits": b'"' + b"9" * 5_000 + b'"',
    "expires-in-list": b"[3600]",
}


@pytest.mark.parametrize("literal", UNREADABLE_EXPIRES_IN.values(), ids=UNREADABLE_EXPIRES_IN.keys())
def test_an_expires_in_that_is_not_a_finite_number_is_a_clear_page(client, hostile_ehr, literal):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(_token_with_raw_expires_in(hostile_ehr, auth, literal))
    watch = Watch()

    page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert not watch.grown().keys() & {"launch", "grant", "user"}


CLAMPED_EXPIRES_IN = {  # (the EHR's literal, the lifetime smartapp gives the token, in seconds)
    "expires-in-1e12": (b"1e12", 24 * 3600),
    "expires-in-10-to-the-30": (b"1" + b"0" * 30, 24 * 3600),
    "expires-in-1e9": (b"1e9", 24 * 3600),  # would be the year 2058
    "expires-in-two-days": (b"172800", 24 * 3600),
    "expires-in-minus-5": (b"-5", 60),
    "expires-in-zero": (b"0", 60),
    "expires-in-half-a-second": (b"0.5", 60),
    "expires-in-an-hour-as-text": (b'"3600"', 3600),
    "expires-in-an-hour": (b"3600", 3600),
    "expires-in-absent": (None, 300),
}


@pytest.mark.parametrize(("literal", "lifetime"), CLAMPED_EXPIRES_IN.values(), ids=CLAMPED_EXPIRES_IN.keys())
def test_an_expires_in_is_clamped_to_a_minute_up_to_a_day(client, hostile_ehr, literal, lifetime):
    auth = hostile_ehr.begin(client)
    if literal is None:
        hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth, expires_in=None)))
    else:
        hostile_ehr.answer_token(_token_with_raw_expires_in(hostile_ehr, auth, literal))
    before = timezone.now()

    page = hostile_ehr.callback(client, auth)

    assert page.status_code == 302, page.content[:300]
    expires_at = Grant.objects.get().expires_at
    assert (
        before + timedelta(seconds=lifetime - 5) <= expires_at <= timezone.now() + timedelta(seconds=lifetime)
    )
