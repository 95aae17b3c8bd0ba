"""The authorization side end to end against the sandbox EHR, reached only over HTTP (live server).

Tests set up sandbox data and faults with the sandbox's helpers; the code under test only speaks HTTP.
"""

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from jwt.algorithms import RSAAlgorithm

from smartapp.ehr import app_keys, configs, discovery, id_token, token_endpoint
from smartapp.ehr.errors import EhrAuthExpired, LaunchRejected
from smartapp.ehr.profiles import profile_for
from smartapp.sandbox import faults
from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import SandboxIdentity
from smartapp.sandbox.store import save_resource
from tests.ehr.auth_fakes import clean_cache  # noqa: F401 (fixture)
from tests.sandbox.auth import flow


@pytest.fixture
def sandbox(live_server, settings, transactional_db, clean_cache):  # noqa: F811
    """smartapp's sandbox registration on the live server, with its public client registered there."""
    settings.APP_ORIGIN = live_server.url
    clients.register_default_app([live_server.url])
    save_resource({"resourceType": "Patient", "id": "p-1", "name": [{"family": "Anders"}]})
    config = configs.by_name("sandbox")
    return config, discovery.discover(config, f"{live_server.url}/sandbox/fhir")


@pytest.fixture
def practitioner(transactional_db):
    user = get_user_model().objects.create_user(username="dr-who")
    return SandboxIdentity.objects.create(
        user=user, fhir_user="Practitioner/pr-1", role=SandboxIdentity.Role.PRACTITIONER
    )


def authorized_code(live_server, config, endpoints, practitioner, pkce, nonce: str, scope: str) -> str:
    """Run the EHR launch's authorize step as the browser would and return the code."""
    launch = flow.new_launch(practitioner, patient_id="p-1")
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": f"{live_server.url}/callback/sandbox/",
        "scope": scope,
        "state": secrets.token_urlsafe(16),
        "aud": endpoints.issuer,
        "launch": launch.launch,
        "nonce": nonce,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    with flow.signed_in_session(live_server.url, practitioner) as browser:
        response = browser.get(
            f"{endpoints.authorization_endpoint}?{urlencode(params)}", allow_redirects=False
        )
    assert response.status_code == 302, response.text[:300]
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def tokens_for(live_server, sandbox, practitioner, nonce="n-1", scope=None):
    config, endpoints = sandbox
    pkce = flow.Pkce.new()
    scope = scope or profile_for(config).scopes(config, "clinician", endpoints)
    code = authorized_code(live_server, config, endpoints, practitioner, pkce, nonce, scope)
    return token_endpoint.exchange_code(
        config,
        token_endpoint=endpoints.token_endpoint,
        code=code,
        redirect_uri=f"{live_server.url}/callback/sandbox/",
        code_verifier=pkce.verifier,
    )


def test_a_code_exchange_gives_tokens_context_and_a_valid_id_token(live_server, sandbox, practitioner):
    config, endpoints = sandbox

    tokens = tokens_for(live_server, sandbox, practitioner, nonce="n-42")

    assert tokens.access_token and tokens.expires_in > 0
    assert tokens.patient == "p-1"
    assert "patient/Patient.rs" in tokens.scope.split()
    claims = id_token.validate_id_token(config, endpoints, tokens.id_token, nonce="n-42")
    assert profile_for(config).fhir_user_reference(claims.fhir_user, endpoints.issuer) == "Practitioner/pr-1"
    assert claims.issuer == endpoints.issuer and claims.sub


def test_the_sandbox_id_token_is_refused_for_another_nonce(live_server, sandbox, practitioner):
    config, endpoints = sandbox
    tokens = tokens_for(live_server, sandbox, practitioner, nonce="n-1")

    with pytest.raises(LaunchRejected) as refused:
        id_token.validate_id_token(config, endpoints, tokens.id_token, nonce="n-2")
    assert refused.value.reason == "id_token_nonce"


def test_a_refused_code_rejects_the_launch_with_the_oauth_error(live_server, sandbox, practitioner):
    faults.switch_on(faults.TOKEN_INVALID_TOKEN, client_id="smartapp")

    with pytest.raises(LaunchRejected) as refused:
        tokens_for(live_server, sandbox, practitioner)
    assert refused.value.reason == "invalid_grant"


def test_refresh_rotates_and_a_refused_refresh_token_expires_the_grant(live_server, sandbox, practitioner):
    config, endpoints = sandbox
    scope = "launch openid fhirUser online_access patient/Patient.rs"
    first = tokens_for(live_server, sandbox, practitioner, scope=scope)
    assert first.refresh_token

    second = token_endpoint.refresh(
        config, token_endpoint=endpoints.token_endpoint, refresh_token=first.refresh_token
    )
    assert second.access_token != first.access_token

    faults.switch_on(faults.TOKEN_EXPIRED_REFRESH, client_id="smartapp")
    with pytest.raises(EhrAuthExpired):
        token_endpoint.refresh(
            config, token_endpoint=endpoints.token_endpoint, refresh_token=second.refresh_token
        )


def test_revocation_is_accepted(live_server, sandbox, practitioner):
    config, endpoints = sandbox
    tokens = tokens_for(live_server, sandbox, practitioner)

    token_endpoint.revoke(
        config,
        revocation_endpoint=endpoints.revocation_endpoint,
        token=tokens.access_token,
        token_type_hint="access_token",
    )


def test_backend_services_get_a_token_with_the_apps_own_key(live_server, sandbox):
    config, endpoints = sandbox
    clients.register(
        "smartapp-backend",
        client_type=clients.CONFIDENTIAL,
        grant_type=clients.CLIENT_CREDENTIALS,
        jwks=app_keys.public_jwks(),
    )
    backend = config.as_backend()

    tokens = token_endpoint.client_credentials(
        backend, token_endpoint=endpoints.token_endpoint, scope="system/Patient.rs"
    )

    assert tokens.access_token
    assert tokens.scope == "system/Patient.rs"
    assert tokens.refresh_token == ""


def test_backend_services_are_refused_with_a_key_the_ehr_does_not_know(live_server, sandbox):
    config, endpoints = sandbox
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = RSAAlgorithm.to_jwk(other_key.public_key(), as_dict=True)
    clients.register(
        "smartapp-backend",
        client_type=clients.CONFIDENTIAL,
        grant_type=clients.CLIENT_CREDENTIALS,
        jwks={"keys": [{**other, "kid": app_keys.public_jwks()["keys"][0]["kid"], "alg": "RS384"}]},
    )
    backend = config.as_backend()

    with pytest.raises(LaunchRejected) as refused:
        token_endpoint.client_credentials(
            backend, token_endpoint=endpoints.token_endpoint, scope="system/Patient.rs"
        )
    assert refused.value.reason == "invalid_client"
