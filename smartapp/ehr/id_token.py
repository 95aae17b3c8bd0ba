"""OpenID Connect id_token validation (OIDC Core §3.1.3.7; SECURITY.md R14 and its PyJWT sketch).

The issuer is pinned first: the token's unverified `iss` must be the issuer that allow-listed discovery
named, before any key is fetched, so that a token cannot point smartapp at keys its forger publishes
(SECURITY.md §0.2). Keys come only from that issuer's JWKS through the guarded session (never PyJWKClient,
whose urllib bypasses the egress guard); `jku`, `x5u` and `jwk` headers are ignored.
"""

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

import jwt
import requests
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from smartapp.core.http import EgressRefused
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.discovery import SmartEndpoints, check_endpoint
from smartapp.ehr.errors import EhrError, LaunchRejected
from smartapp.ehr.session import ehr_session, is_json, read_json

log = logging.getLogger(__name__)

# RS256 is what SMART servers must support; RS384/ES384 are SMART's asymmetric algorithms. Never none/HS*.
ALGORITHMS_BY_KEY_TYPE = {"RSA": ("RS256", "RS384"), "EC": ("ES384",)}
LEEWAY = 60  # seconds (Inferno's exp_leeway)
JWKS_CACHE_SECONDS = 3600
JWKS_REFETCH_SECONDS = 60  # an unknown kid triggers at most one refetch a minute
TIMEOUT = (2, 5)
_REQUIRED = ["iss", "sub", "aud", "exp", "iat"]
_EXCEPTIONS = [
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "iat"),
    (jwt.InvalidAudienceError, "aud"),
    (jwt.InvalidIssuerError, "iss"),
    (jwt.MissingRequiredClaimError, "claims"),
    (jwt.InvalidSignatureError, "signature"),
]


@dataclass(frozen=True)
class IdClaims:
    sub: str
    fhir_user: str  # as given, absolute or relative; "" if absent
    issuer: str
    name: str = ""  # OIDC `name`, else `given_name family_name`, as given (unchecked text); "" if absent


@sensitive_variables("id_token", "nonce")
def validate_id_token(
    config: LaunchConfig, endpoints: SmartEndpoints, id_token: str, *, nonce: str | None
) -> IdClaims:
    """The verified identity claims; LaunchRejected(reason="id_token_<what>") for any failure."""
    header, unverified = _unverified(id_token)
    algorithm = header.get("alg")
    if not any(algorithm in algs for algs in ALGORITHMS_BY_KEY_TYPE.values()):
        raise _rejected("alg")
    if unverified.get("iss") != endpoints.oidc_issuer:
        raise _rejected("iss")  # before any key fetch: the token does not choose where keys come from
    key = _key(config, endpoints, header.get("kid"), algorithm)
    claims = _verified(id_token, key, algorithm, config.client_id, endpoints.oidc_issuer)
    _check_azp(claims, config.client_id)
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise _rejected("nonce")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise _rejected("sub")
    fhir_user = claims.get("fhirUser", "")
    return IdClaims(
        sub=claims["sub"],
        fhir_user=fhir_user if isinstance(fhir_user, str) else "",
        issuer=endpoints.oidc_issuer,
        name=_person_name(claims),
    )


def _person_name(claims: dict) -> str:
    """OIDC Core §5.1 standard claims (with the `profile` scope): `name`, else given and family names."""
    if isinstance(claims.get("name"), str) and claims["name"].strip():
        return claims["name"]
    parts = [claims.get(part) for part in ("given_name", "family_name")]
    return " ".join(part for part in parts if isinstance(part, str) and part.strip())


def _rejected(what: str) -> LaunchRejected:
    log.warning("id_token refused: %s", what)
    return LaunchRejected(reason=f"id_token_{what}")


def _unverified(id_token: str) -> tuple[dict, dict]:
    try:
        header = jwt.get_unverified_header(id_token)
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _rejected("malformed") from None
    return header, claims


def _verified(id_token: str, key, algorithm: str, client_id: str, issuer: str) -> dict:
    try:
        return jwt.decode(
            id_token,
            key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": _REQUIRED},
        )
    except jwt.PyJWTError as error:
        what = next((name for kind, name in _EXCEPTIONS if isinstance(error, kind)), "invalid")
        raise _rejected(what) from None


def _check_azp(claims: dict, client_id: str) -> None:
    """OIDC Core §3.1.3.7 (4, 5): with several audiences, `azp` must be us; if present, it must be us."""
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise _rejected("azp")


def _key(config: LaunchConfig, endpoints: SmartEndpoints, kid: str | None, algorithm: str):
    """The public key for `kid` (or the only suitable key when the token names none)."""
    jwks_uri = endpoints.jwks_uri or _jwks_uri_of(config, endpoints.oidc_issuer)
    candidates = [jwk for jwk in _jwks(config, jwks_uri, kid) if _suits(jwk, kid, algorithm)]
    if len(candidates) != 1:
        raise _rejected("kid")
    try:
        if candidates[0]["kty"] == "EC":
            return ECAlgorithm.from_jwk(json.dumps(candidates[0]))
        return RSAAlgorithm.from_jwk(json.dumps(candidates[0]))
    except (jwt.PyJWTError, ValueError, KeyError):
        raise _rejected("jwks") from None


def _suits(jwk: dict, kid: str | None, algorithm: str) -> bool:
    return (
        isinstance(jwk, dict)
        and algorithm in ALGORITHMS_BY_KEY_TYPE.get(jwk.get("kty"), ())
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", algorithm) == algorithm
        and (jwk.get("kty") != "EC" or jwk.get("crv") == "P-384")
        and (kid is None or jwk.get("kid") == kid)
    )


def _jwks(config: LaunchConfig, jwks_uri: str, kid: str | None) -> list:
    """The keys at `jwks_uri`, cached; refetched when `kid` is unknown, at most once a minute."""
    cache_key = "ehr:jwks:" + hashlib.sha256(jwks_uri.encode()).hexdigest()
    cached = cache.get(cache_key)
    if cached is not None:
        known = kid is None or any(isinstance(k, dict) and k.get("kid") == kid for k in cached["keys"])
        if known or time.time() - cached["fetched_at"] < JWKS_REFETCH_SECONDS:
            return cached["keys"]
    keys = _fetch_json(config, jwks_uri).get("keys")
    if not isinstance(keys, list):
        raise _rejected("jwks")
    cache.set(cache_key, {"keys": keys, "fetched_at": time.time()}, JWKS_CACHE_SECONDS)
    return keys


def _jwks_uri_of(config: LaunchConfig, oidc_issuer: str) -> str:
    """`jwks_uri` from the pinned issuer's OpenID configuration, when SMART discovery gave none."""
    cache_key = "ehr:oidc-jwks-uri:" + hashlib.sha256(oidc_issuer.encode()).hexdigest()
    if (jwks_uri := cache.get(cache_key)) is not None:
        return jwks_uri
    configuration = _fetch_json(config, f"{oidc_issuer.rstrip('/')}/.well-known/openid-configuration")
    jwks_uri = configuration.get("jwks_uri")
    try:
        check_endpoint(jwks_uri, config)
    except LaunchRejected:
        raise _rejected("jwks_foreign") from None
    cache.set(cache_key, jwks_uri, JWKS_CACHE_SECONDS)
    return jwks_uri


def _fetch_json(config: LaunchConfig, url: str) -> dict:
    """The JSON object at `url`, on `config`'s own origins; no redirect followed (a 3xx is refused)."""
    try:
        check_endpoint(url, config)
        with (
            ehr_session(timeout=TIMEOUT) as session,
            session.get(
                url, headers={"Accept": "application/json"}, stream=True, allow_redirects=False
            ) as response,
        ):
            if response.status_code != 200 or not is_json(response):
                raise _rejected("jwks")
            return read_json(response, 1024 * 1024)
    except (EgressRefused, requests.RequestException, EhrError):
        raise _rejected("jwks") from None
