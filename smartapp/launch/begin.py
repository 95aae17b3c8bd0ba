"""Starting a launch: from an EHR's `iss` + `launch`, or standalone from a registration's sign-in button."""

from urllib.parse import urlencode

from django.conf import settings

from smartapp.audit.services import audit_record
from smartapp.ehr import configs, discovery
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.profiles import profile_for
from smartapp.launch.state import pending_create

STANDALONE_PERSONAS = ("patient", "coordinator")
_LAUNCH_VALUE_MAX = 1024


def redirect_uri(config: LaunchConfig) -> str:
    """One callback per registration (mix-up defense, RFC 9700 §4.4.2), from settings, never the Host."""
    return f"{settings.APP_ORIGIN}/callback/{config.name}/"


def launch_begin_ehr(request, *, iss: str, launch: str) -> str:
    """The EHR's authorization URL for an EHR launch; LaunchRejected for an unknown or malformed `iss`.

    The issuer is checked against the registrations before anything leaves the app, so a launch link cannot
    make smartapp probe an internal address.
    """
    config = configs.for_issuer(iss)
    if config is None:
        raise LaunchRejected(reason="unknown_iss")
    if not launch or len(launch) > _LAUNCH_VALUE_MAX:
        raise LaunchRejected(reason="launch_missing")
    return _authorization_url(request, config, iss=iss, persona="clinician", launch=launch)


def launch_begin_standalone(request, *, config_name: str, persona: str) -> str:
    """The EHR's authorization URL for a standalone launch as a patient or a care coordinator."""
    config = configs.by_name(config_name)
    if config is None or persona not in STANDALONE_PERSONAS or not config.issuer:
        raise LaunchRejected(reason="unknown_config")
    if not config.scope_for(persona):
        raise LaunchRejected(reason="persona_not_offered")
    return _authorization_url(request, config, iss=config.issuer, persona=persona, launch="")


def _authorization_url(request, config: LaunchConfig, *, iss: str, persona: str, launch: str) -> str:
    endpoints = discovery.discover(config, iss)
    scope = profile_for(config).scopes(config, persona, endpoints)
    pending = pending_create(
        request,
        config_name=config.name,
        persona=persona,
        issuer=endpoints.issuer,
        authorization_issuer=endpoints.oidc_issuer,
        iss_in_response=endpoints.iss_parameter_supported,
        token_endpoint=endpoints.token_endpoint,
        revocation_endpoint=endpoints.revocation_endpoint,
        redirect_uri=redirect_uri(config),
        scope=scope,
    )
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri(config),
        "scope": scope,
        "state": pending.state,
        "aud": endpoints.issuer,
        # S256 always, even where discovery does not advertise it (SMART 2.x: apps SHALL use PKCE).
        "code_challenge": pending.code_challenge,
        "code_challenge_method": "S256",
    }
    if launch:
        params["launch"] = launch
    if "openid" in scope.split():
        params["nonce"] = pending.nonce
    audit_record(
        action="launch.begin",
        outcome="redirected",
        request=request,
        issuer=endpoints.issuer,
        detail={"config": config.name, "persona": persona},
    )
    return f"{endpoints.authorization_endpoint}?{urlencode(params)}"
