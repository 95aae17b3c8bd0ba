"""SMART Backend Services: client_credentials with a private_key_jwt client assertion."""

import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from smartapp.sandbox.auth import clients
from smartapp.sandbox.auth.assertions import ASSERTION_TYPE
from tests.sandbox.auth import flow

SERVICE_ID = "bulk-service"


_KEYS = {}


def _registered_key(alg: str):
    """One key per algorithm for the whole module: RSA key generation is slow."""
    if alg not in _KEYS:
        _KEYS[alg] = _keypair(alg)
    return _KEYS[alg]


def _keypair(alg: str):
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_jwk(private_key, kid: str, alg: str) -> dict:
    algorithm = jwt.get_algorithm_by_name(alg)
    return {**json.loads(algorithm.to_jwk(private_key.public_key())), "kid": kid, "alg": alg}


@pytest.fixture(params=["RS384", "ES384"])
def service(request, transactional_db):
    """A backend service registered with one public key; yields (private key, alg)."""
    alg = request.param
    private_key = _registered_key(alg)
    clients.register(
        SERVICE_ID,
        client_type=clients.CONFIDENTIAL,
        grant_type=clients.CLIENT_CREDENTIALS,
        jwks={"keys": [_public_jwk(private_key, "k1", alg)]},
    )
    return private_key, alg


def _assertion(private_key, alg: str, token_url: str, *, kid="k1", lifetime=240, jti=None, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": SERVICE_ID,
        "sub": SERVICE_ID,
        "aud": token_url,
        "exp": now + lifetime,
        "jti": jti or str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(payload, private_key, algorithm=alg, headers={"kid": kid})


def _ask(token_url: str, assertion: str, scope: str = "system/*.rs") -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    return requests.post(token_url, data=data)


@pytest.fixture
def token_url(live_server):
    return f"{live_server.url}/sandbox/auth/token/"


def test_a_signed_assertion_gets_a_system_token(service, token_url):
    private_key, alg = service
    response = _ask(token_url, _assertion(private_key, alg, token_url))
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"] == "system/*.rs"
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token and "patient" not in token


def test_it_refuses_a_replayed_jti(service, token_url):
    private_key, alg = service
    assertion = _assertion(private_key, alg, token_url)
    assert _ask(token_url, assertion).status_code == 200
    replay = _ask(token_url, assertion)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"


def test_it_refuses_an_assertion_signed_with_another_key(service, token_url):
    _, alg = service
    response = _ask(token_url, _assertion(_keypair(alg), alg, token_url))
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_unknown_kid(service, token_url):
    private_key, alg = service
    assert (
        _ask(token_url, _assertion(private_key, alg, token_url, kid="k9")).json()["error"] == "invalid_client"
    )


def test_it_refuses_an_expired_assertion(service, token_url):
    private_key, alg = service
    response = _ask(token_url, _assertion(private_key, alg, token_url, lifetime=-120))
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_assertion_living_longer_than_five_minutes(service, token_url):
    private_key, alg = service
    response = _ask(token_url, _assertion(private_key, alg, token_url, lifetime=3600))
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_assertion_for_another_audience(service, token_url):
    private_key, alg = service
    response = _ask(token_url, _assertion(private_key, alg, "https://elsewhere.example/token"))
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_assertion_whose_sub_is_not_the_client(service, token_url):
    private_key, alg = service
    response = _ask(token_url, _assertion(private_key, alg, token_url, sub="someone-else"))
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_non_system_scopes(service, token_url):
    private_key, alg = service
    for scope in ("patient/*.rs", "system/*.rs openid", "user/Observation.read"):
        response = _ask(token_url, _assertion(private_key, alg, token_url), scope=scope)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


def test_an_hs256_assertion_is_refused(transactional_db, service, token_url):
    forged = jwt.encode(
        {"iss": SERVICE_ID, "sub": SERVICE_ID, "aud": token_url, "exp": int(time.time()) + 60, "jti": "x"},
        "a-shared-secret-of-sufficient-length-for-hmac",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert _ask(token_url, forged).json()["error"] == "invalid_client"


def test_a_confidential_asymmetric_app_exchanges_its_code_with_an_assertion(
    transactional_db, browser, base_url, fhir_base, token_url
):
    private_key = _registered_key("ES384")
    clients.register(
        SERVICE_ID,
        client_type=clients.CONFIDENTIAL,
        redirect_uris=[flow.REDIRECT_URI],
        jwks={"keys": [_public_jwk(private_key, "k1", "ES384")]},
    )
    pkce = flow.Pkce.new()
    params = flow.authorize_params(fhir_base, pkce, client_id=SERVICE_ID, scope="openid fhirUser user/*.rs")
    code = flow.redirect_query(flow.authorize(browser, base_url, params))["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.REDIRECT_URI,
        "code_verifier": pkce.verifier,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": _assertion(private_key, "ES384", token_url),
    }
    response = requests.post(token_url, data=data)
    assert response.status_code == 200, response.text
    assert jwt.decode(response.json()["id_token"], options={"verify_signature": False})["aud"] == SERVICE_ID
    data["client_assertion"] = _assertion(_keypair("ES384"), "ES384", token_url)
    assert requests.post(token_url, data=data).json()["error"] == "invalid_client"


@pytest.fixture
def jwks_server():
    """A loopback web server publishing a client's JWKS, as a real backend service publishes its keys."""
    import http.server
    import threading

    published = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield published, f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


def test_it_checks_assertions_against_keys_the_client_publishes_at_its_jwks_uri(
    transactional_db, token_url, jwks_server
):
    published, jwks_uri = jwks_server
    private_key = _registered_key("RS384")
    published["keys"] = [_public_jwk(private_key, "k1", "RS384")]
    clients.register(
        SERVICE_ID, client_type=clients.CONFIDENTIAL, grant_type=clients.CLIENT_CREDENTIALS,
        jwks={"jwks_uri": jwks_uri},
    )  # fmt: skip

    granted = _ask(token_url, _assertion(private_key, "RS384", token_url))
    assert granted.status_code == 200, granted.text

    published["keys"] = [_public_jwk(_keypair("RS384"), "k1", "RS384")]  # the client rotated to another key
    refused = _ask(token_url, _assertion(private_key, "RS384", token_url))
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_client"
