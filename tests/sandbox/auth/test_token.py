"""The token endpoint and what it issues: context fields, id_token, refresh, introspection, revocation."""

import hashlib

import jwt
import requests

from smartapp.sandbox.models import TokenContext
from tests.sandbox.auth import flow

EHR_SCOPE = "launch openid fhirUser offline_access patient/*.rs"


def _context_of(access_token: str) -> TokenContext:
    checksum = hashlib.sha256(access_token.encode()).hexdigest()
    return TokenContext.objects.get(access_token__token_checksum=checksum)


def test_the_token_response_carries_the_launch_context(browser, base_url, fhir_base, practitioner):
    launch = flow.new_launch(practitioner, need_patient_banner=False)
    response = flow.ehr_tokens(browser, base_url, fhir_base, launch, EHR_SCOPE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    assert token["scope"] == EHR_SCOPE
    assert (token["patient"], token["encounter"]) == ("p-1", "e-1")
    assert token["need_patient_banner"] is False
    assert token["smart_style_url"] == f"{base_url}/sandbox/auth/smart-style.json"
    assert requests.get(token["smart_style_url"]).json()["color_text"]
    context = _context_of(token["access_token"])
    assert (context.patient_id, context.encounter_id, context.fhir_user) == (
        "p-1",
        "e-1",
        "Practitioner/pr-1",
    )


def test_the_id_token_verifies_against_the_published_jwks(browser, base_url, fhir_base, practitioner, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid fhirUser patient/*.rs", nonce="n-123")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    id_token = flow.exchange_code(base_url, query["code"], pkce.verifier).json()["id_token"]
    jwks = requests.get(f"{base_url}/sandbox/auth/jwks/").json()
    assert all("d" not in key for key in jwks["keys"])  # public keys only
    signing_key = jwt.PyJWKClient(f"{base_url}/sandbox/auth/jwks/").get_signing_key_from_jwt(id_token)
    claims = jwt.decode(
        id_token, signing_key.key, algorithms=["RS256"], audience=flow.CLIENT_ID, issuer=fhir_base
    )
    assert claims["fhirUser"] == f"{fhir_base}/Practitioner/pr-1"
    assert claims["nonce"] == "n-123"
    assert {"sub", "exp", "iat"} <= claims.keys()


def test_there_is_no_id_token_without_openid(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="patient/*.rs")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    token = flow.exchange_code(base_url, query["code"], pkce.verifier).json()
    assert "id_token" not in token and "refresh_token" not in token


def test_it_refuses_a_wrong_code_verifier(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    response = flow.exchange_code(base_url, query["code"], flow.Pkce.new().verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_is_exchanged_only_once(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert flow.exchange_code(base_url, query["code"], pkce.verifier).status_code == 200
    replay = flow.exchange_code(base_url, query["code"], pkce.verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_a_refresh_token_comes_only_with_offline_or_online_access(browser, base_url, fhir_base, practitioner):
    without = flow.ehr_tokens(
        browser, base_url, fhir_base, flow.new_launch(practitioner), "launch patient/*.rs"
    )
    assert "refresh_token" not in without.json()
    online = "launch online_access patient/*.rs"
    assert (
        "refresh_token"
        in flow.ehr_tokens(browser, base_url, fhir_base, flow.new_launch(practitioner), online).json()
    )


def test_refresh_rotates_keeps_scope_and_context_and_refuses_the_old_token(
    browser, base_url, fhir_base, practitioner
):
    first = flow.ehr_tokens(browser, base_url, fhir_base, flow.new_launch(practitioner), EHR_SCOPE).json()
    refreshed = flow.refresh(base_url, first["refresh_token"])
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == EHR_SCOPE
    assert (second["patient"], second["encounter"]) == ("p-1", "e-1")
    assert _context_of(second["access_token"]).fhir_user == "Practitioner/pr-1"
    reuse = flow.refresh(base_url, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # Reuse protection revokes the whole family, the fresh refresh token included.
    assert flow.refresh(base_url, second["refresh_token"]).status_code == 400


def test_introspection_reports_the_smart_context(browser, base_url, fhir_base, practitioner):
    token = flow.ehr_tokens(browser, base_url, fhir_base, flow.new_launch(practitioner), EHR_SCOPE).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    answer = requests.post(
        f"{base_url}/sandbox/auth/introspect/", data={"token": token["access_token"]}, headers=bearer
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["active"] is True
    assert data["client_id"] == flow.CLIENT_ID and data["scope"] == EHR_SCOPE
    assert data["patient"] == "p-1"
    assert data["fhirUser"] == f"{fhir_base}/Practitioner/pr-1"
    unknown = requests.post(f"{base_url}/sandbox/auth/introspect/", data={"token": "nope"}, headers=bearer)
    assert unknown.json() == {"active": False}


def test_introspection_needs_a_caller(base_url):
    assert requests.post(f"{base_url}/sandbox/auth/introspect/", data={"token": "x"}).status_code == 403


def test_a_revoked_token_is_no_longer_active(browser, base_url, fhir_base, practitioner):
    token = flow.ehr_tokens(browser, base_url, fhir_base, flow.new_launch(practitioner), EHR_SCOPE).json()
    revoked = requests.post(
        f"{base_url}/sandbox/auth/revoke/", data={"token": token["access_token"], "client_id": flow.CLIENT_ID}
    )
    assert revoked.status_code == 200
    checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    assert not TokenContext.objects.filter(access_token__token_checksum=checksum).exists()
    assert flow.refresh(base_url, token["refresh_token"]).status_code == 400
