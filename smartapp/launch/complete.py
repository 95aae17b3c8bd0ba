"""The callback: check `state`, exchange the code, validate the id_token, and open a launch."""

import re

from django.contrib.auth import login
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from smartapp.ehr import configs, discovery, id_token, token_endpoint
from smartapp.ehr.errors import LaunchRejected
from smartapp.ehr.profiles import profile_for
from smartapp.launch import grants
from smartapp.launch.events import audit_launch_event
from smartapp.launch.identity import identity_for, shown_name
from smartapp.launch.models import Launch
from smartapp.launch.state import pending_pop

SESSION_LAUNCHES = "launches"
LANDING = {"clinician": "/chart/{id}/", "patient": "/me/{id}/", "coordinator": "/referrals/"}
_OAUTH_ERROR = re.compile(r"[a-z_]{1,40}")
_CLINICIAN_TYPES = ("Practitioner",)
_PATIENT_TYPES = ("Patient", "RelatedPerson", "Person")


@sensitive_variables("verifier", "tokens", "name")
def launch_complete(request, *, config_name: str, query) -> Launch:
    """Finish the authorization for the callback `query`; LaunchRejected (with a reason) otherwise."""
    config = configs.by_name(config_name)
    if config is None:
        raise LaunchRejected(reason="unknown_config")
    pending, verifier = pending_pop(
        request, query.get("state", "")
    )  # also on error redirects (RFC 6749 §10.12)
    if pending.config_name != config.name:
        raise LaunchRejected(reason="state_other_ehr")  # mix-up: a response from another EHR's flow
    _check_issuer(pending, query.get("iss"))  # error answers too: RFC 9207 covers them
    if error := query.get("error"):
        raise LaunchRejected(reason="ehr_" + (error if _OAUTH_ERROR.fullmatch(error) else "error"))
    if not query.get("code"):
        raise LaunchRejected(reason="code_missing")
    tokens = token_endpoint.exchange_code(
        config,
        token_endpoint=pending.token_endpoint,
        code=query["code"],
        redirect_uri=pending.redirect_uri,
        code_verifier=verifier,
    )
    issuer, sub, fhir_user, name = _identity(config, pending, tokens)
    role = _role(config, pending.persona, fhir_user, tokens.patient)
    with transaction.atomic():
        identity = identity_for(issuer=issuer, sub=sub, fhir_user=fhir_user, role=role, display_name=name)
        user = identity.user
        launch = Launch.objects.create(
            user=user,
            config_name=config.name,
            issuer=pending.issuer,
            persona=role,
            fhir_user=fhir_user,
            display_name=identity.display_name,
            patient_id=tokens.patient,
            encounter_id=tokens.encounter,
            scope=tokens.scope,
            need_patient_banner=tokens.need_patient_banner,
            smart_style_url=tokens.smart_style_url,
        )
        grants.grant_store(
            launch,
            tokens,
            token_endpoint=pending.token_endpoint,
            revocation_endpoint=pending.revocation_endpoint,
        )
        audit_launch_event(
            request,
            launch,
            action="token.exchange",
            outcome="success",
            detail={"config": config.name, "role": role, "scope": tokens.scope},
        )
    _sign_in(request, user, launch)
    return launch


def _check_issuer(pending, iss: str | None) -> None:
    """RFC 9207 §2.4: an `iss` in the answer must be the issuer the request went to, by simple string
    comparison; it may be absent unless that server advertised it sends one
    (`authorization_response_iss_parameter_supported`).

    Checked after the state was taken, so a refused answer has spent its state: the flow it belonged to
    may have been mixed up with another server's, and only a new sign-in (new state, new PKCE) is safe.
    """
    expected = pending.authorization_issuer or pending.issuer
    if iss is None:
        if pending.iss_in_response:
            raise LaunchRejected(reason="iss_missing")
        return
    if iss != expected:
        raise LaunchRejected(reason="iss_mismatch")


def _identity(config, pending, tokens) -> tuple[str, str, str, str]:
    """(issuer, sub, fhirUser reference, name to show or "") from the validated id_token: identity comes
    from the EHR. The name is there when the EHR sends OpenID's profile claims (the `profile` scope)."""
    if "openid" not in tokens.scope.split() or not tokens.id_token:
        raise LaunchRejected(reason="identity_not_granted")
    endpoints = discovery.discover(config, pending.issuer)
    claims = id_token.validate_id_token(config, endpoints, tokens.id_token, nonce=pending.nonce)
    if not claims.fhir_user:
        raise LaunchRejected(reason="fhiruser_missing")
    fhir_user = profile_for(config).fhir_user_reference(claims.fhir_user, pending.issuer)
    return claims.issuer, claims.sub, fhir_user, shown_name(claims.name)


def _role(config, persona: str, fhir_user: str, patient: str) -> str:
    """The app role for this launch: decided by what the user launched as and who the EHR says they are."""
    kind, _, own_id = fhir_user.partition("/")
    if persona == "coordinator":
        if fhir_user not in config.coordinators:
            raise LaunchRejected(reason="not_a_coordinator")
        return "coordinator"
    if persona == "patient" and kind not in _PATIENT_TYPES:
        raise LaunchRejected(reason="not_a_patient")  # "Sign in as a patient" answered by a clinician
    if not patient:
        raise LaunchRejected(reason="no_patient_context")
    if kind in _CLINICIAN_TYPES:
        return "clinician"
    if kind == "Patient" and own_id != patient:
        raise LaunchRejected(reason="patient_not_self")  # a patient sees only their own record
    if kind in _PATIENT_TYPES:
        return "patient"
    raise LaunchRejected(reason="fhiruser_type")


def _sign_in(request, user, launch: Launch) -> None:
    """Log in (Django rotates the session key) and add this launch to the browser's set of launches."""
    launches = request.session.get(SESSION_LAUNCHES, []) if request.user == user else []
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_LAUNCHES] = [*launches, str(launch.pk)][-20:]


def landing_url(launch: Launch) -> str:
    return LANDING[launch.persona].format(id=launch.pk)
