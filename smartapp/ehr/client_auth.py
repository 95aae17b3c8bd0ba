"""How smartapp authenticates to a token endpoint, per the registration's `client_auth`.

- public: `client_id` in the body (RFC 6749 §2.3, SMART client-public);
- client_secret_basic: HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1);
- private_key_jwt: a fresh signed assertion per request (RFC 7523, SMART client-confidential-asymmetric).
"""

import base64
import secrets
import time
from urllib.parse import quote_plus

import jwt
from django.views.decorators.debug import sensitive_variables

from smartapp.ehr import app_keys
from smartapp.ehr.configs import LaunchConfig

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 240  # seconds; SMART: exp no more than five minutes in the future


@sensitive_variables("secret", "credentials")
def client_authentication(config: LaunchConfig, token_endpoint: str) -> tuple[dict, dict]:
    """(extra form fields, extra headers) that authenticate `config`'s client to `token_endpoint`."""
    if config.client_auth == "client_secret_basic":
        secret = config.client_secret
        credentials = f"{quote_plus(config.client_id)}:{quote_plus(secret)}"
        return {}, {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    if config.client_auth == "private_key_jwt":
        fields = {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(config, token_endpoint),
        }
        return fields, {}
    return {"client_id": config.client_id}, {}


def client_assertion(config: LaunchConfig, token_endpoint: str) -> str:
    """A new assertion: iss = sub = client_id, aud = the token endpoint, a new jti, kid in the header."""
    kid, private_key = app_keys.signing_key()
    now = int(time.time())
    claims = {
        "iss": config.client_id,
        "sub": config.client_id,
        "aud": token_endpoint,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": secrets.token_urlsafe(32),  # servers refuse a jti seen before (SMART; INF checks reuse)
    }
    return jwt.encode(claims, private_key, algorithm=app_keys.ALGORITHM, headers={"kid": kid, "typ": "JWT"})
