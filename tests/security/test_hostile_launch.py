"""Hostile-input battery, launch: `iss`, discovery, `state`, code, token responses and id_tokens.

Each case: a clear page (status, a human sentence, no trace), nothing persisted (no launch, grant, user; no
pending authorization left where the state was consumed) and the audit event of the refusal.
The EHR is a loopback fake the case controls (fake_registration.py), driven end to end through the
/launch/ and /callback/ views with Django's test client; replayed codes go through the sandbox EHR, which
refuses a second redemption as a real EHR must. The id_token attacks are those of tests/ehr/test_id_token.py
(validate_id_token alone), here through the callback.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.test import Client
from django.utils import timezone

from smartapp.launch.models import Launch, PendingAuthorization
from tests.ehr.auth_fakes import Answer, html_answer, json_answer, smart_configuration
from tests.ehr.test_id_token import ATTACKER_KEY, RSA_KEY, public_jwk
from tests.launch.conftest import callback_from_ehr
from tests.security.battery import Watch, assert_clear_page
from tests.security.fake_registration import PATIENT

SANDBOX_ISS = "http://127.0.0.1:8000/sandbox/fhir"  # the sandbox's `iss` at the default APP_ORIGIN
NOTHING = {}  # Watch.grown() of a refusal: no launch, grant, user or pending authorization left behind


# -- `iss` ------------------------------------------------------------------------------------------------
HOSTILE_ISS = {
    "iss-unknown-https": "https://ehr.example.org/fhir",
    "iss-unregistered-loopback": "http://127.0.0.2:8000/sandbox/fhir",  # internal, registered by nobody
    "iss-no-scheme": "127.0.0.1:8000/sandbox/fhir",
    "iss-javascript": "javascript:alert(document.cookie)",
    "iss-data-url": "data:text/html,<script>alert(1)</script>",
    "iss-markup": '"><script>alert(1)</script>',
    "iss-very-long": "https://ehr.example.org/" + "a" * 20_000,
    "iss-unicode-homoglyph-host": "https://еhr.example.org/fhir",  # Cyrillic е
    "iss-unicode-rtl-override": SANDBOX_ISS + "\u202egpj.exe",
    "iss-nul": SANDBOX_ISS + "\x00",
    "iss-registered-as-prefix": SANDBOX_ISS + ".evil.example",
    "iss-registered-with-dot-dot": SANDBOX_ISS + "/../../admin",
    "iss-userinfo-trick": "http://127.0.0.1:8000@ehr.example.org/sandbox/fhir",
    "iss-query-and-fragment": SANDBOX_ISS + "?x=1#y",
    "iss-missing": None,
}


@pytest.mark.parametrize("iss", HOSTILE_ISS.values(), ids=HOSTILE_ISS.keys())
def test_a_hostile_iss_is_refused_before_anything_leaves_the_app(client, db, sockets, iss):
    watch = Watch()
    query = {"launch": "launch-1", **({"iss": iss} if iss is not None else {})}

    page = client.get(f"/launch/?{urlencode(query)}")

    body = assert_clear_page(page, 400, "Unknown EHR", "Open smartapp from your EHR")
    assert "<script>alert" not in body and "javascript:" not in body
    assert watch.grown() == NOTHING
    watch.event("launch.begin", "unknown_iss")
    assert sockets == []  # refused before any DNS lookup or connection (127.0.0.2 included)


@pytest.mark.parametrize("launch", ["", "x" * 1025], ids=["launch-missing", "launch-too-long"])
def test_a_registered_iss_without_a_usable_launch_value_is_refused(client, db, sockets, launch):
    watch = Watch()

    page = client.get(f"/launch/?{urlencode({'iss': SANDBOX_ISS, 'launch': launch})}")

    assert_clear_page(page, 400, "Incomplete launch link")
    assert watch.grown() == NOTHING
    watch.event("launch.begin", "launch_missing")
    assert sockets == []


# -- discovery -------------------------------------------------------------------------------------------
def _discovery(ehr, answer) -> None:
    ehr.server.answers["/fhir/.well-known/smart-configuration"] = answer
    ehr.server.answers["/fhir/metadata"] = Answer(404, b"{}")


DISCOVERY = {
    "discovery-html": (lambda ehr: html_answer(), 502, "The EHR answered unexpectedly", "bad_response"),
    "discovery-token-endpoint-elsewhere": (
        lambda ehr: json_answer(smart_configuration(ehr.server, token_endpoint="https://attacker.example/t")),
        400,
        "Sign-in could not be completed",
        "discovery_foreign_endpoint",
    ),
    "discovery-plain-pkce-only": (
        lambda ehr: json_answer(smart_configuration(ehr.server, code_challenge_methods_supported=["plain"])),
        400,
        "Sign-in could not be completed",
        "pkce_plain_only",
    ),
}


@pytest.mark.parametrize(("answer", "status", "phrase", "reason"), DISCOVERY.values(), ids=DISCOVERY.keys())
def test_a_hostile_discovery_document_stops_the_launch(
    client, hostile_ehr, sockets, answer, status, phrase, reason
):
    _discovery(hostile_ehr, answer(hostile_ehr))
    watch = Watch()

    page = client.get(f"/launch/?{urlencode({'iss': hostile_ehr.iss, 'launch': 'launch-1'})}")

    assert_clear_page(page, status, phrase)
    assert watch.grown() == NOTHING
    watch.event("launch.begin", reason)
    assert set(sockets) <= {"127.0.0.1"}  # the fake EHR only: nothing reached the address it named


# -- `state` and the callback ---------------------------------------------------------------------------
def test_state_forged(client, hostile_ehr):
    auth = hostile_ehr.begin(client)
    watch = Watch()

    page = hostile_ehr.callback(client, state="forged-" + auth.state[7:])

    assert_clear_page(page, 400, "Sign-in could not be verified", "already used")
    assert watch.grown() == NOTHING and watch.shrunk() == {}  # the real request is still pending, unused
    watch.event("token.exchange", "state_unknown")
    assert hostile_ehr.token_requests() == 0


@pytest.mark.parametrize(
    "state", [None, "", "s" * 201], ids=["state-missing", "state-empty", "state-too-long"]
)
def test_state_missing_or_oversized(client, hostile_ehr, state):
    hostile_ehr.begin(client)
    watch = Watch()

    page = hostile_ehr.callback(client, state=state)

    assert_clear_page(page, 400, "Sign-in could not be verified", "no request id")
    assert watch.grown() == NOTHING
    watch.event("token.exchange", "state_missing")
    assert hostile_ehr.token_requests() == 0


def test_state_replayed(client, hostile_ehr):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))
    assert hostile_ehr.callback(client, auth).status_code == 302  # the real callback
    watch = Watch()

    replay = hostile_ehr.callback(client, auth)

    assert_clear_page(replay, 400, "Sign-in could not be verified")
    assert watch.grown() == NOTHING
    watch.event("token.exchange", "state_unknown")
    assert hostile_ehr.token_requests() == 1  # the code was not sent again


def test_state_from_another_browser(client, hostile_ehr):
    auth = hostile_ehr.begin(client)
    watch = Watch()

    page = hostile_ehr.callback(Client(), auth)

    assert_clear_page(page, 400, "Sign-in started in another browser")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}  # consumed: spent for everyone
    watch.event("token.exchange", "state_other_browser")
    assert hostile_ehr.callback(client, auth).status_code == 400
    assert hostile_ehr.token_requests() == 0


def test_state_expired(client, hostile_ehr):
    auth = hostile_ehr.begin(client)
    watch = Watch()

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 400, "Sign-in took too long")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}
    watch.event("token.exchange", "state_expired")
    assert hostile_ehr.token_requests() == 0


def test_state_of_one_ehr_brought_to_another_ehrs_callback(client, hostile_ehr):
    """Mix-up (RFC 9700 §4.4): the answer to the fake EHR's request arrives at the sandbox's callback."""
    auth = hostile_ehr.begin(client)
    watch = Watch()

    page = hostile_ehr.callback(client, auth, config="sandbox")

    assert_clear_page(page, 400, "Sign-in could not be verified", "different EHR")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}
    watch.event("token.exchange", "state_other_ehr")
    assert hostile_ehr.token_requests() == 0


CALLBACK_ERRORS = {
    "ehr-error-markup": (
        {"error": "<script>alert(1)</script>", "code": None},
        400,
        "refused the sign-in",
        "ehr_error",
    ),
    "ehr-access-denied": (
        {"error": "access_denied", "code": None},
        403,
        "Access not granted",
        "ehr_access_denied",
    ),
    "code-missing": ({"code": None}, 400, "did not send an authorization code", "code_missing"),
}


@pytest.mark.parametrize(
    ("query", "status", "phrase", "reason"), CALLBACK_ERRORS.values(), ids=CALLBACK_ERRORS.keys()
)
def test_an_error_or_incomplete_callback(client, hostile_ehr, query, status, phrase, reason):
    auth = hostile_ehr.begin(client)
    watch = Watch()

    page = hostile_ehr.callback(client, auth, **query)

    body = assert_clear_page(page, status, phrase)
    assert "<script>alert" not in body
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}  # an error answer spends the state
    watch.event("token.exchange", reason)
    assert hostile_ehr.token_requests() == 0


# -- a replayed code (the sandbox EHR, strict like a real one) ------------------------------------------
def test_code_replayed_with_a_fresh_state(browser, app_url):
    """An attacker injects a spent code into a new sign-in of the same browser: the EHR refuses it."""
    used = callback_from_ehr(browser, app_url)
    assert browser.get(used).status_code == 200
    code = parse_qs(urlsplit(used).query)["code"][0]
    fresh_state = parse_qs(urlsplit(callback_from_ehr(browser, app_url)).query)["state"][0]
    watch = Watch()

    page = browser.get(f"{app_url}/callback/sandbox/?{urlencode({'code': code, 'state': fresh_state})}")

    assert_clear_page(page, 400, "Sign-in could not be completed")
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}
    watch.event("token.exchange", "invalid_grant")
    assert Launch.objects.count() == 1 and not PendingAuthorization.objects.exists()


# -- token responses --------------------------------------------------------------------------------------
TRAVERSALS = {
    "token-patient-dot-dot-path": "../Patient/p-2",
    "token-patient-dot-dot": "..",
    "token-patient-embedded-dot-dot": "p-1/../p-2",
    "token-patient-query": "p-1?_format=html",
    "token-patient-encoded-slash": "p-1%2F..%2Fp-2",
    "token-patient-too-long": "p" * 65,
    "token-patient-not-a-string": {"reference": "Patient/p-1"},
}


def _refused_launch(client, ehr, answer_for, status: int, phrase: str, reason: str):
    """Begin, let the fake EHR answer the token request with answer_for(auth), call back; the three checks."""
    auth = ehr.begin(client)
    ehr.answer_token(answer_for(auth))
    watch = Watch()

    page = ehr.callback(client, auth)

    assert_clear_page(page, status, phrase)
    assert watch.grown() == NOTHING and watch.shrunk() == {"pending": 1}
    watch.event("token.exchange", reason)
    assert ehr.token_requests() == 1 and ehr.fhir_requests() == []
    return page


def test_token_without_a_patient(client, hostile_ehr):
    _refused_launch(
        client,
        hostile_ehr,
        lambda auth: json_answer(hostile_ehr.token_body(auth, patient=None)),
        400,
        "No patient chosen",
        "no_patient_context",
    )


@pytest.mark.parametrize("patient", TRAVERSALS.values(), ids=TRAVERSALS.keys())
def test_token_with_a_patient_id_that_is_not_a_fhir_id(client, hostile_ehr, patient):
    _refused_launch(
        client,
        hostile_ehr,
        lambda auth: json_answer(hostile_ehr.token_body(auth, patient=patient)),
        400,
        "Sign-in could not be completed",
        "patient_invalid",
    )


def test_token_scope_narrowed_to_no_identity(client, hostile_ehr):
    _refused_launch(
        client,
        hostile_ehr,
        lambda auth: json_answer(hostile_ehr.token_body(auth, scope="launch patient/Patient.rs")),
        403,
        "Who you are was not shared",
        "identity_not_granted",
    )


def test_token_scope_narrowed_to_fewer_resources(client, hostile_ehr):
    """The safe outcome of a narrower grant is a launch with what was granted, and nothing more asked."""
    granted = "launch openid fhirUser patient/Patient.rs"
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth, scope=granted)))
    watch = Watch()

    landing = hostile_ehr.callback(client, auth)
    chart = client.get(landing["Location"])

    body = assert_clear_page(chart, 200, "Not shared by your EHR")
    assert "No allergy information recorded" not in body and "no known allergies" not in body.lower()
    assert watch.grown() == {"launch": 1, "grant": 1, "user": 1}
    assert Launch.objects.get().scope == granted  # the grant as given, not as asked
    assert watch.event("token.exchange", "success").detail["scope"] == granted
    assert hostile_ehr.fhir_requests() == [f"/fhir/Patient/{PATIENT}"]  # no search it was not granted


BAD_TOKEN_ANSWERS = {
    "token-html-200": (lambda auth: html_answer(200), 502, "The EHR answered unexpectedly", "bad_response"),
    "token-malformed-json": (
        lambda auth: Answer(200, b'{"access_token": "x",'),
        502,
        "answered unexpectedly",
        "bad_response",
    ),
    "token-json-array": (lambda auth: Answer(200, b"[]"), 502, "answered unexpectedly", "bad_response"),
    "token-huge-body": (
        lambda auth: json_answer({"access_token": "x" * 300_000, "token_type": "Bearer"}),
        502,
        "answered unexpectedly",
        "bad_response",
    ),
    "token-not-bearer": (
        lambda auth: json_answer({"access_token": "x", "token_type": "MAC"}),
        502,
        "answered unexpectedly",
        "bad_response",
    ),
    "token-redirect": (
        lambda auth: Answer(302, b"", headers={"Location": "https://attacker.example/"}),
        502,
        "answered unexpectedly",
        "bad_response",
    ),
    "token-error-in-a-200": (
        lambda auth: json_answer({"error": "invalid_grant"}),
        400,
        "Sign-in could not be completed",
        "invalid_grant",
    ),
    "token-500": (
        lambda auth: Answer(500, b"<html>oops</html>", content_type="text/html"),
        503,
        "The EHR is not answering",
        "unavailable",
    ),
}


@pytest.mark.parametrize(
    ("answer", "status", "phrase", "reason"), BAD_TOKEN_ANSWERS.values(), ids=BAD_TOKEN_ANSWERS.keys()
)
def test_a_hostile_token_response(client, hostile_ehr, answer, status, phrase, reason):
    _refused_launch(client, hostile_ehr, answer, status, phrase, reason)


# -- id_tokens ----------------------------------------------------------------------------------------------
def _hs256_with_the_public_key(ehr, auth) -> str:
    """Algorithm confusion: an HMAC keyed with the EHR's public key (CVE-2024-33663's shape)."""
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(ehr.id_token(auth), options={"verify_signature": False})

    def segment(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = segment({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + b"." + segment(claims)
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def _alg_none(ehr, auth) -> str:
    claims = jwt.decode(ehr.id_token(auth), options={"verify_signature": False})
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})


def _jku(ehr, auth) -> str:
    ehr.server.answers["/evil/jwks"] = json_answer({"keys": [public_jwk(ATTACKER_KEY, "evil", "RS256")]})
    return ehr.id_token(auth, key=ATTACKER_KEY, headers={"kid": "evil", "jku": ehr.server.url("/evil/jwks")})


ID_TOKENS = {
    "idt-alg-none": (_alg_none, "id_token_alg"),
    "idt-hs256-with-the-public-key": (_hs256_with_the_public_key, "id_token_alg"),
    "idt-wrong-aud": (lambda ehr, auth: ehr.id_token(auth, aud="another-app"), "id_token_aud"),
    "idt-expired": (lambda ehr, auth: ehr.id_token(auth, exp=int(time.time()) - 300), "id_token_expired"),
    "idt-iat-future": (lambda ehr, auth: ehr.id_token(auth, iat=int(time.time()) + 3600), "id_token_iat"),
    "idt-another-key": (lambda ehr, auth: ehr.id_token(auth, key=ATTACKER_KEY), "id_token_signature"),
    "idt-foreign-iss": (
        lambda ehr, auth: ehr.id_token(auth, iss="https://attacker.example/fhir", key=ATTACKER_KEY),
        "id_token_iss",
    ),
    "idt-nonce-mismatch": (lambda ehr, auth: ehr.id_token(auth, nonce="another-nonce"), "id_token_nonce"),
    "idt-jku-header": (_jku, "id_token_kid"),
    "idt-malformed": (lambda ehr, auth: "not.a.jwt", "id_token_malformed"),
}


@pytest.mark.parametrize(("token_for", "reason"), ID_TOKENS.values(), ids=ID_TOKENS.keys())
def test_a_hostile_id_token(client, hostile_ehr, token_for, reason):
    _refused_launch(
        client,
        hostile_ehr,
        lambda auth: json_answer(hostile_ehr.token_body(auth, id_token=token_for(hostile_ehr, auth))),
        401,
        "Sign-in could not be verified",
        reason,
    )
    assert all("/evil/" not in seen.path for seen in hostile_ehr.server.seen)  # keys only from the issuer


IDENTITY = {
    "idt-missing": ({"id_token": None}, 403, "Who you are was not shared", "identity_not_granted"),
    "idt-fhiruser-missing": ({"fhirUser": None}, 403, "Who you are was not shared", "fhiruser_missing"),
    "idt-fhiruser-foreign": (
        {"fhirUser": "https://attacker.example/fhir/Practitioner/x"},
        400,
        "could not be completed",
        "fhiruser_foreign",
    ),
    "idt-fhiruser-dot-dot": (
        {"fhirUser": "Practitioner/.."},
        400,
        "could not be completed",
        "fhiruser_invalid",
    ),
}


@pytest.mark.parametrize(("change", "status", "phrase", "reason"), IDENTITY.values(), ids=IDENTITY.keys())
def test_an_id_token_without_a_usable_identity(client, hostile_ehr, change, status, phrase, reason):
    def answer(auth):
        if "id_token" in change:
            return json_answer(hostile_ehr.token_body(auth, **change))
        return json_answer(hostile_ehr.token_body(auth, id_token=hostile_ehr.id_token(auth, **change)))

    _refused_launch(client, hostile_ehr, answer, status, phrase, reason)
