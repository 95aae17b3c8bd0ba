"""private_key_jwt client authentication: the signed client assertion of SMART Backend Services.

https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
"""

import time
from datetime import UTC, datetime

import jwt
import requests
from django.db import IntegrityError, transaction

from smartapp.sandbox.models import ClientProfile, UsedAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
MAX_LIFETIME_SECONDS = 300  # "exp ... no more than five minutes in the future"
CLOCK_SKEW_SECONDS = 10
_JWKS_FETCH_TIMEOUT = 5


class AssertionRefused(Exception):
    """The client assertion does not authenticate its client; `reason` is safe to log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify(assertion_type: str, assertion: str, *, token_urls: list[str], claimed_client_id: str = "") -> str:
    """Check a client assertion and record its jti; return the client_id it authenticates."""
    if assertion_type != ASSERTION_TYPE or not assertion:
        raise AssertionRefused("unsupported client_assertion_type")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AssertionRefused("malformed assertion") from error
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or not client_id or unverified.get("sub") != client_id:
        raise AssertionRefused("iss and sub must both be the client_id")
    if claimed_client_id and claimed_client_id != client_id:
        raise AssertionRefused("client_id does not match the assertion")
    claims = _verified_claims(assertion, header, client_id, token_urls)
    _record_once(client_id, claims)
    return client_id


def _verified_claims(assertion: str, header: dict, client_id: str, token_urls: list[str]) -> dict:
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS or not kid:
        raise AssertionRefused("the assertion must be signed RS384 or ES384 and name its kid")
    key = _public_key(client_id, kid, alg)
    try:
        claims = jwt.decode(
            assertion,
            key=key,
            algorithms=[alg],
            audience=token_urls,
            issuer=client_id,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError as error:
        raise AssertionRefused(f"assertion rejected: {type(error).__name__}") from error
    if claims["exp"] > time.time() + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise AssertionRefused("assertion expires more than five minutes ahead")
    return claims


def _public_key(client_id: str, kid: str, alg: str):
    profile = ClientProfile.objects.filter(application__client_id=client_id).first()
    if profile is None:
        raise AssertionRefused("client has no registered keys")
    matching = [k for k in _jwks_of(profile).get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
    if not matching:
        raise AssertionRefused("no registered key has this kid")
    try:
        return jwt.PyJWK(matching[0], algorithm=alg).key
    except jwt.PyJWTError as error:
        raise AssertionRefused("the registered key does not fit the algorithm") from error


def _jwks_of(profile: ClientProfile) -> dict:
    """The client's JWKS: registered inline, or at the `jwks_uri` it was registered with."""
    jwks = profile.jwks or {}
    if "keys" in jwks or not jwks.get("jwks_uri"):
        return jwks
    try:
        response = requests.get(jwks["jwks_uri"], timeout=_JWKS_FETCH_TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise AssertionRefused("the client's jwks_uri could not be read") from error


def _record_once(client_id: str, claims: dict) -> None:
    jti = str(claims["jti"])
    expires_at = datetime.fromtimestamp(claims["exp"], tz=UTC)
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(client_id=client_id, jti=jti, expires_at=expires_at)
    except IntegrityError as error:
        raise AssertionRefused("assertion replayed (jti already used)") from error
