"""id_token validation (SECURITY.md R14): the pinned issuer first, keys only from its JWKS, every claim."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from smartapp.ehr import id_token as id_token_module
from smartapp.ehr.discovery import SmartEndpoints
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.id_token import validate_id_token
from tests.ehr.auth_fakes import (
    clean_cache,  # noqa: F401 (fixture)
    fake_ehr,  # noqa: F401 (fixture)
    json_answer,
    make_config,
)

JWKS = "/auth/jwks"
CLIENT_ID = "smartapp-test"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key, kid: str, alg: str) -> dict:
    jwk = json.loads(jwt.get_algorithm_by_name(alg).to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def endpoints_of(fake, jwks_uri: str | None = None) -> SmartEndpoints:
    return SmartEndpoints(
        issuer=fake.base_url,
        authorization_endpoint=fake.url("/auth/authorize"),
        token_endpoint=fake.url("/auth/token"),
        revocation_endpoint="",
        jwks_uri=fake.url(JWKS) if jwks_uri is None else jwks_uri,
        oidc_issuer=fake.base_url,
        capabilities=frozenset(),
        code_challenge_methods=frozenset({"S256"}),
        scopes_supported=frozenset(),
    )


@pytest.fixture
def ehr(fake_ehr):  # noqa: F811
    """The fake EHR publishing an RSA key (k1) and an EC P-384 key (k2)."""
    fake_ehr.answers[JWKS] = json_answer(
        {"keys": [public_jwk(RSA_KEY, "k1", "RS256"), public_jwk(EC_KEY, "k2", "ES384")]}
    )
    return fake_ehr


def claims_for(fake, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": fake.base_url,
        "sub": "user-1",
        "aud": CLIENT_ID,
        "exp": now + 300,
        "iat": now,
        "nonce": "n-1",
        "fhirUser": f"{fake.base_url}/Practitioner/pr-1",
    }
    return {name: value for name, value in {**claims, **overrides}.items() if value is not None}


def sign(claims: dict, key=RSA_KEY, alg="RS256", **headers) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "k1", **headers})


def validate(fake, token: str, nonce: str | None = "n-1", endpoints=None):
    return validate_id_token(make_config(fake.base_url), endpoints or endpoints_of(fake), token, nonce=nonce)


def refusal(fake, token: str, **kwargs) -> str:
    with pytest.raises(LaunchRejected) as refused:
        validate(fake, token, **kwargs)
    return refused.value.reason


def jwks_fetches(fake) -> int:
    return sum(seen.path == JWKS for seen in fake.seen)


def test_a_valid_id_token_gives_the_identity(ehr):
    claims = validate(ehr, sign(claims_for(ehr)))

    assert claims.sub == "user-1"
    assert claims.fhir_user == f"{ehr.base_url}/Practitioner/pr-1"
    assert claims.issuer == ehr.base_url


@pytest.mark.parametrize(("key", "alg", "kid"), [(RSA_KEY, "RS384", "k1"), (EC_KEY, "ES384", "k2")])
def test_rs384_and_es384_are_accepted(ehr, key, alg, kid):
    ehr.answers[JWKS] = json_answer({"keys": [{**public_jwk(key, kid, alg)}]})
    assert validate(ehr, sign(claims_for(ehr), key=key, alg=alg, kid=kid)).sub == "user-1"


def test_keys_are_fetched_once_and_cached(ehr):
    validate(ehr, sign(claims_for(ehr)))
    validate(ehr, sign(claims_for(ehr)))
    assert jwks_fetches(ehr) == 1


def test_alg_none_is_refused_without_fetching_keys(ehr):
    token = jwt.encode(claims_for(ehr), None, algorithm="none", headers={"kid": "k1"})
    assert refusal(ehr, token) == "id_token_alg"
    assert ehr.seen == []


def test_hs256_signed_with_the_public_key_as_secret_is_refused(ehr):
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def segment(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = segment({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + b"." + segment(claims_for(ehr))
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(
        b"="
    )
    assert refusal(ehr, (signing_input + b"." + signature).decode()) == "id_token_alg"


def test_a_foreign_issuer_is_refused_before_any_key_is_fetched(ehr):
    token = sign(claims_for(ehr, iss="https://attacker.example/fhir"), key=ATTACKER_KEY)
    assert refusal(ehr, token) == "id_token_iss"
    assert ehr.seen == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-app"}, "id_token_aud"),
        ({"exp": int(time.time()) - 120}, "id_token_expired"),
        ({"iat": int(time.time()) + 600}, "id_token_iat"),
        ({"sub": None}, "id_token_claims"),
        ({"iat": None}, "id_token_claims"),
        ({"aud": [CLIENT_ID, "another-app"]}, "id_token_azp"),  # several audiences and no azp
        ({"aud": CLIENT_ID, "azp": "another-app"}, "id_token_azp"),
        ({"nonce": "n-2"}, "id_token_nonce"),
        ({"nonce": None}, "id_token_nonce"),
    ],
)
def test_a_bad_claim_is_refused(ehr, overrides, reason):
    assert refusal(ehr, sign(claims_for(ehr, **overrides))) == reason


def test_expiry_and_issue_time_have_a_minute_of_leeway(ehr):
    now = int(time.time())
    assert validate(ehr, sign(claims_for(ehr, exp=now - 30, iat=now + 30))).sub == "user-1"


def test_several_audiences_are_accepted_when_azp_is_us(ehr):
    token = sign(claims_for(ehr, aud=[CLIENT_ID, "https://ehr.example/fhir"], azp=CLIENT_ID))
    assert validate(ehr, token).sub == "user-1"


def test_no_nonce_is_checked_when_none_was_sent(ehr):
    assert validate(ehr, sign(claims_for(ehr, nonce=None)), nonce=None).sub == "user-1"


def test_a_signature_by_another_key_under_a_known_kid_is_refused(ehr):
    assert refusal(ehr, sign(claims_for(ehr), key=ATTACKER_KEY)) == "id_token_signature"


def test_an_unknown_kid_is_refused_and_refetched_at_most_once_a_minute(ehr, monkeypatch):
    token = sign(claims_for(ehr), kid="rotated")
    assert refusal(ehr, token) == "id_token_kid"
    assert refusal(ehr, token) == "id_token_kid"
    assert jwks_fetches(ehr) == 1

    ehr.answers[JWKS] = json_answer({"keys": [public_jwk(RSA_KEY, "rotated", "RS256")]})  # the EHR rotated
    later = time.time() + 61
    monkeypatch.setattr(id_token_module.time, "time", lambda: later)
    assert validate(ehr, token).sub == "user-1"
    assert jwks_fetches(ehr) == 2


def test_a_jku_header_is_ignored(ehr):
    ehr.answers["/evil/jwks"] = json_answer({"keys": [public_jwk(ATTACKER_KEY, "evil", "RS256")]})
    token = sign(claims_for(ehr), key=ATTACKER_KEY, kid="evil", jku=ehr.url("/evil/jwks"))

    assert refusal(ehr, token) == "id_token_kid"
    assert [seen.path for seen in ehr.seen] == [JWKS]


def test_an_embedded_jwk_header_is_ignored(ehr):
    token = sign(claims_for(ehr), key=ATTACKER_KEY, jwk=public_jwk(ATTACKER_KEY, "k1", "RS256"))
    assert refusal(ehr, token) == "id_token_signature"


def test_without_a_jwks_uri_keys_come_from_the_issuers_openid_configuration(ehr):
    ehr.answers["/fhir/.well-known/openid-configuration"] = json_answer({"jwks_uri": ehr.url(JWKS)})

    assert validate(ehr, sign(claims_for(ehr)), endpoints=endpoints_of(ehr, jwks_uri="")).sub == "user-1"
    assert [seen.path for seen in ehr.seen] == ["/fhir/.well-known/openid-configuration", JWKS]


def test_an_openid_configuration_pointing_keys_elsewhere_is_refused(ehr):
    ehr.answers["/fhir/.well-known/openid-configuration"] = json_answer(
        {"jwks_uri": "https://evil.example/jwks"}
    )

    reason = refusal(ehr, sign(claims_for(ehr)), endpoints=endpoints_of(ehr, jwks_uri=""))
    assert reason == "id_token_jwks_foreign"


def test_an_unreachable_jwks_is_a_refusal(ehr):
    ehr.answers[JWKS] = json_answer({}, status=503)
    assert refusal(ehr, sign(claims_for(ehr))) == "id_token_jwks"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_a_malformed_token_is_refused(ehr, token):
    assert refusal(ehr, token) == "id_token_malformed"
