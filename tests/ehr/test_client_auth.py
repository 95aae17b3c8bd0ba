"""Client authentication at the token endpoint, and the app's own signing key and JWKS."""

import base64
import hashlib
import json
import time

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from smartapp.ehr import app_keys
from smartapp.ehr.client_auth import ASSERTION_TYPE, client_assertion, client_authentication
from tests.ehr.auth_fakes import make_config

TOKEN_URL = "https://ehr.example.org/oauth2/token"
ISS = "https://ehr.example.org/fhir"


def public_key_for(assertion: str):
    """The public key `public_jwks()` publishes under the assertion's kid."""
    kid = jwt.get_unverified_header(assertion)["kid"]
    (jwk,) = [key for key in app_keys.public_jwks()["keys"] if key["kid"] == kid]
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


def test_a_public_client_names_itself_in_the_body():
    fields, headers = client_authentication(make_config(ISS), TOKEN_URL)
    assert fields == {"client_id": "smartapp-test"}
    assert headers == {}


def test_a_client_secret_goes_in_http_basic_form_urlencoded_first():
    config = make_config(ISS, client_auth="client_secret_basic", client_id="app:1", client_secret="s3 cr+t")

    fields, headers = client_authentication(config, TOKEN_URL)

    assert fields == {}
    scheme, encoded = headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "app%3A1:s3+cr%2Bt"  # RFC 6749 §2.3.1


def test_a_private_key_jwt_assertion_carries_the_smart_claims_and_verifies_with_the_published_key():
    config = make_config(ISS, client_auth="private_key_jwt", client_id="backend-app")

    fields, headers = client_authentication(config, TOKEN_URL)

    assert headers == {}
    assert fields["client_assertion_type"] == ASSERTION_TYPE
    assertion = fields["client_assertion"]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS384" and header["typ"] == "JWT" and header["kid"]
    claims = jwt.decode(assertion, public_key_for(assertion), algorithms=["RS384"], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == "backend-app"
    assert 0 < claims["exp"] - time.time() <= 300
    assert len(claims["jti"]) >= 43  # 32 random bytes


def test_every_assertion_has_a_new_jti():
    config = make_config(ISS, client_auth="private_key_jwt")
    first, second = (client_assertion(config, TOKEN_URL) for _ in range(2))
    decode = {"verify_signature": False}
    assert jwt.decode(first, options=decode)["jti"] != jwt.decode(second, options=decode)["jti"]


def test_the_published_jwks_has_no_private_members():
    (key,) = app_keys.public_jwks()["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}
    assert key["alg"] == "RS384" and key["use"] == "sig"


def test_the_kid_is_the_rfc7638_thumbprint():
    (key,) = app_keys.public_jwks()["keys"]
    members = json.dumps({"e": key["e"], "kty": "RSA", "n": key["n"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    assert key["kid"] == expected


def test_a_missing_key_file_is_created_once_and_then_reused(settings, tmp_path):
    settings.SMARTAPP_SIGNING_KEY_FILE = str(tmp_path / "keys" / "signing.pem")

    kid, _ = app_keys.signing_key()

    assert (tmp_path / "keys" / "signing.pem").stat().st_mode & 0o077 == 0
    app_keys._load.cache_clear()
    assert app_keys.signing_key()[0] == kid


def test_production_refuses_to_start_without_a_key_file(settings):
    settings.PRODUCTION = True
    settings.SMARTAPP_SIGNING_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured):
        app_keys.signing_key()
