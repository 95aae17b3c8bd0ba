"""Discovery documents under the FHIR base."""

import requests


def test_smart_configuration_describes_the_sandbox(fhir_base, base_url):
    response = requests.get(f"{fhir_base}/.well-known/smart-configuration")
    assert response.status_code == 200
    config = response.json()
    assert config["issuer"] == fhir_base
    for name, path in [
        ("jwks_uri", "jwks/"),
        ("authorization_endpoint", "authorize/"),
        ("token_endpoint", "token/"),
        ("introspection_endpoint", "introspect/"),
        ("revocation_endpoint", "revoke/"),
    ]:
        assert config[name] == f"{base_url}/sandbox/auth/{path}"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "private_key_jwt"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert set(config["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert config["response_types_supported"] == ["code"]
    assert {"launch-ehr", "context-standalone-patient", "permission-v2", "sso-openid-connect"} <= set(
        config["capabilities"]
    )
    assert "launch/patient" in config["scopes_supported"]


def test_openid_configuration_names_the_fhir_base_as_issuer(fhir_base, base_url):
    config = requests.get(f"{fhir_base}/.well-known/openid-configuration").json()
    assert config["issuer"] == fhir_base
    assert config["jwks_uri"] == f"{base_url}/sandbox/auth/jwks/"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "fhirUser" in config["claims_supported"]


def test_every_published_endpoint_answers(fhir_base, transactional_db):
    config = requests.get(f"{fhir_base}/.well-known/smart-configuration").json()
    assert requests.get(config["jwks_uri"]).json()["keys"][0]["kid"]
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        assert requests.post(config[name], data={}).status_code in (400, 401, 403)
