"""SMART discovery: where an EHR's authorization server lives and what it offers.

`{iss}/.well-known/smart-configuration` (SMART App Launch 2.x §Conformance), falling back to the
CapabilityStatement's oauth-uris extension (SMART 1.0) when a server has no such document. Every endpoint
the document names (each `*_endpoint`, `jwks_uri`, `issuer`; each oauth-uris URL) must be on one of the
registration's own origins (scheme, host and port), or the launch is refused before any request goes
there: a discovery document is not trusted to send a code, a verifier or a token elsewhere, not even to
another registered EHR (SECURITY.md R1, R2, R7). A redirect is never followed (core.http) and is refused.
"""

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.core.cache import cache

from smartapp.ehr import configs
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import EhrBadResponse, LaunchRejected
from smartapp.ehr.profiles import profile_for
from smartapp.ehr.session import (
    ehr_session,
    is_json,
    is_transient,
    launch_transport_errors,
    read_json,
    refuse_redirect,
    unavailable,
)

log = logging.getLogger(__name__)

CACHE_SECONDS = 3600
TIMEOUT = (2, 5)
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


@dataclass(frozen=True)
class SmartEndpoints:
    issuer: str  # the FHIR base (canonical)
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str  # "" if none
    jwks_uri: str  # "" if none
    oidc_issuer: str  # the `issuer` of smart-configuration (the id_token `iss`); defaults to the FHIR base
    capabilities: frozenset[str]
    code_challenge_methods: frozenset[str]
    scopes_supported: frozenset[str]
    # RFC 9207 §3: the server names itself (`iss`) in every authorization response; the app must then
    # refuse a response without it (§2.4)
    iss_parameter_supported: bool = False


def discover(config: LaunchConfig, iss: str) -> SmartEndpoints:
    """The endpoints of the EHR at `iss` (which must be one of `config`'s issuers), cached for an hour.

    LaunchRejected for an unknown issuer, a foreign endpoint, a plain-only PKCE server or a refused host;
    EhrUnavailable when the EHR is down; EhrBadResponse when it answers with something unreadable.
    """
    if not config.matches_issuer(iss):
        raise LaunchRejected(reason="unknown_iss")
    base = configs.canonical_issuer(iss)
    key = "ehr:discovery:" + hashlib.sha256(f"{config.name}\n{base}".encode()).hexdigest()
    if (endpoints := cache.get(key)) is not None:
        return endpoints
    endpoints = _fetch(config, base)
    if "S256" not in endpoints.code_challenge_methods and profile_for(config).advertises_pkce:
        log.warning("discovery: %s does not advertise S256 PKCE; sending it anyway", config.name)
    cache.set(key, endpoints, CACHE_SECONDS)
    return endpoints


def check_endpoint(url: str, config: LaunchConfig | None = None) -> str:
    """`url` if it is absolute https (http only on loopback) on one of `config`'s origins (scheme, host,
    port), or with no config on the egress allow-list; else LaunchRejected."""
    canonical = configs.canonical_issuer(url) if isinstance(url, str) else None
    origin = _origin(canonical) if canonical else ""
    allowed = config.origins() if config is not None else configs.allowed_origins()
    bare_host_ok = config is None and urlsplit(origin).hostname in allowed  # EGRESS_ALLOWED_HOSTS entries
    if not origin or not (origin in allowed or bare_host_ok):
        log.warning("discovery: endpoint refused (not https or not on the registration's origins)")
        raise LaunchRejected(reason="discovery_foreign_endpoint")
    return url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _fetch(config: LaunchConfig, base: str) -> SmartEndpoints:
    with launch_transport_errors(), ehr_session(timeout=TIMEOUT) as session:
        document = _get_json(session, f"{base}/.well-known/smart-configuration", fallback_ok=True)
        if document is not None:
            _check_every_endpoint(config, document)
            return _from_smart_configuration(config, base, document)
        return _from_capability_statement(config, base, _get_json(session, f"{base}/metadata"))


def _check_every_endpoint(config: LaunchConfig, document: dict) -> None:
    """Each URL the document offers for the app to call (`*_endpoint`, `jwks_uri`, `issuer`), used now or
    not, must be on the registration's origins: a foreign one marks a document not to be trusted."""
    for name, value in document.items():
        named = name.endswith("_endpoint") or name in ("jwks_uri", "issuer")
        if named and isinstance(value, str) and value:  # a wrong type is the parser's EhrBadResponse below
            check_endpoint(value, config)


def _get_json(session: requests.Session, url: str, *, fallback_ok: bool = False) -> dict | None:
    """The JSON object at `url`; None (when a fallback exists) for a 404 or a non-JSON answer."""
    with session.get(
        url, headers={"Accept": "application/json"}, stream=True, allow_redirects=False
    ) as response:
        refuse_redirect(response, "discovery")
        if is_transient(response.status_code):
            raise unavailable(response)
        if fallback_ok and (response.status_code == 404 or not is_json(response)):
            return None
        if response.status_code != 200 or not is_json(response):
            raise EhrBadResponse()
        try:
            return read_json(response)
        except EhrBadResponse:
            if fallback_ok:
                return None
            raise


def _from_smart_configuration(config: LaunchConfig, base: str, doc: dict) -> SmartEndpoints:
    methods = _strings(doc.get("code_challenge_methods_supported"))
    if "plain" in methods and "S256" not in methods:
        raise LaunchRejected(reason="pkce_plain_only")  # RFC 9700 §2.1.1: S256 is the method to use
    oidc_issuer = doc.get("issuer") or base
    if not isinstance(oidc_issuer, str) or configs.canonical_issuer(oidc_issuer) is None:
        raise EhrBadResponse()
    return SmartEndpoints(
        issuer=base,
        authorization_endpoint=check_endpoint(_required(doc, "authorization_endpoint"), config),
        token_endpoint=check_endpoint(_required(doc, "token_endpoint"), config),
        revocation_endpoint=_optional_endpoint(doc.get("revocation_endpoint"), config),
        jwks_uri=_optional_endpoint(doc.get("jwks_uri"), config),
        oidc_issuer=oidc_issuer,
        capabilities=_strings(doc.get("capabilities")),
        code_challenge_methods=methods,
        scopes_supported=_strings(doc.get("scopes_supported")),
        iss_parameter_supported=doc.get("authorization_response_iss_parameter_supported") is True,
    )


def _from_capability_statement(config: LaunchConfig, base: str, statement: dict) -> SmartEndpoints:
    uris = _oauth_uris(statement)
    for value in uris.values():  # authorize, token, revoke, register, manage, introspect...
        if isinstance(value, str) and value:
            check_endpoint(value, config)
    return SmartEndpoints(
        issuer=base,
        authorization_endpoint=check_endpoint(_required(uris, "authorize"), config),
        token_endpoint=check_endpoint(_required(uris, "token"), config),
        revocation_endpoint=_optional_endpoint(uris.get("revoke"), config),
        jwks_uri="",
        oidc_issuer=base,
        capabilities=frozenset(),
        code_challenge_methods=frozenset(),
        scopes_supported=frozenset(),
    )


def _oauth_uris(statement: dict) -> dict:
    """{"authorize": url, "token": url, ...} from rest[].security.extension[oauth-uris] (SMART 1.0)."""
    if statement.get("resourceType") != "CapabilityStatement":
        raise EhrBadResponse()
    for rest in _dicts(statement.get("rest")):
        security = rest.get("security") if isinstance(rest.get("security"), dict) else {}
        for extension in _dicts(security.get("extension")):
            if extension.get("url") == OAUTH_URIS:
                return {e.get("url"): e.get("valueUri") for e in _dicts(extension.get("extension"))}
    raise EhrBadResponse()


def _required(doc: dict, name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise EhrBadResponse()
    return value


def _optional_endpoint(value, config: LaunchConfig) -> str:
    return check_endpoint(value, config) if value else ""


def _strings(value) -> frozenset[str]:
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
