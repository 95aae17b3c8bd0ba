"""django-oauth-toolkit's request validator, taught SMART: scopes, launch context, private_key_jwt."""

import logging
from urllib.parse import urlsplit

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.oauth2_validators import OAuth2Validator

from smartapp.sandbox.auth import assertions
from smartapp.sandbox.auth.context import SmartContext
from smartapp.sandbox.auth.oauthlib_bridge import django_request
from smartapp.sandbox.auth.scopes import scopes_permitted
from smartapp.sandbox.base_url import auth_url, fhir_base, vendor_of
from smartapp.sandbox.models import TokenContext
from smartapp.sandbox.vendors import rules_for

log = logging.getLogger(__name__)

# DOT's Grant has no column for SMART launch context, and the sandbox adds no model for a row that lives
# sixty seconds: the context rides in the grant's `claims` JSON under this key, which is always
# overwritten on the way in, so a client's own `claims` parameter can never set it.
CONTEXT_CLAIM = "sandbox_smart_context"
BASE_CLAIM = "sandbox_base"  # [vendor, tenant] of the authorization server that issued the code


class SmartValidator(OAuth2Validator):
    # The fhirUser claim goes in every id_token (SMART asks for it with `openid fhirUser`).
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "fhirUser": "openid"}

    # --- scopes ---------------------------------------------------------------------------------
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """Valid SMART scopes only, `system/` ones only for client_credentials, within the client's list."""
        return scopes_permitted(
            scopes,
            client_credentials=request.grant_type == "client_credentials",
            allowed=_allowed_scopes(client),
        )

    # --- redirect_uri ------------------------------------------------------------------------------
    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        """DOT's exact match, except that DOT lets a loopback URI take any port (RFC 8252 §7.3, meant for
        native apps that register none): a client that registered a port gets only that port."""
        allowed = super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)
        return allowed and _port_registered(redirect_uri, request.client.redirect_uris.split())

    # --- launch context: authorize -> code -> token -> refreshed token ---------------------------
    def _create_authorization_code(self, request, code, expires=None):
        claims = request.claims if isinstance(request.claims, dict) else {}
        # The authorize view passes the context as a dict among the credentials (see authorize.py).
        context = getattr(request, "smart_context", None) or {}
        request.claims = {**claims, CONTEXT_CLAIM: context, BASE_CLAIM: list(_base_of(request))}
        return super()._create_authorization_code(request, code, expires)

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if valid:
            claims = request.claims if isinstance(request.claims, dict) else {}
            request.smart_context = SmartContext.from_dict(claims.pop(CONTEXT_CLAIM, None))
            # A code is exchanged only at the token endpoint of the authorization server that issued it.
            valid = tuple(claims.pop(BASE_CLAIM, ("", ""))) == _base_of(request)
        return valid

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if valid:
            previous = request.refresh_token_instance.access_token
            stored = TokenContext.objects.filter(access_token=previous).first()
            request.smart_context = SmartContext.from_token_context(stored)
            valid = stored is None or (stored.vendor, stored.tenant) == _base_of(request)
        return valid

    def rotate_refresh_token(self, request):
        """Per vendor: Oracle keeps the refresh token (https://fhir.cerner.com/authorization/)."""
        return rules_for(_base_of(request)[0]).refresh_rotates

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        context = getattr(request, "smart_context", None) or SmartContext()
        TokenContext.objects.create(
            access_token=access_token,
            patient_id=context.patient_id,
            encounter_id=context.encounter_id,
            fhir_user=context.fhir_user,
            vendor=_base_of(request)[0],
            tenant=_base_of(request)[1],
        )
        return access_token

    # --- id_token ---------------------------------------------------------------------------------
    def get_oidc_issuer_endpoint(self, request):
        """The FHIR base URL: SMART's `iss` is the FHIR server, and id_tokens name it too."""
        return fhir_base(django_request(request))

    def get_additional_claims(self, request):
        """fhirUser, and the user's OpenID profile names (OIDC Core §5.1), which DOT keeps only in an
        id_token whose grant has the `profile` scope (oidc_claim_scope)."""
        context = getattr(request, "smart_context", None)
        if context is None or not context.fhir_user:
            return {}
        return {
            "fhirUser": fhir_user_claim(django_request(request), context.fhir_user),
            **_profile_names(getattr(request, "user", None)),
        }

    # --- clients registered for a vendor emulation -------------------------------------------------
    def _load_application(self, client_id, request):
        """A client registered for a vendor emulation exists only at that vendor's endpoints (and a plain
        one only at the plain sandbox's): elsewhere it is an unknown client."""
        application = super()._load_application(client_id, request)
        if application is not None and _client_vendor(application) != _base_of(request)[0]:
            request.client = None
            return None
        return application

    # --- private_key_jwt client authentication -----------------------------------------------------
    def client_authentication_required(self, request, *args, **kwargs):
        if _has_assertion(request):
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        if not _has_assertion(request):
            authenticated = super().authenticate_client(request, *args, **kwargs)
            # A public client has no secret: "authenticating" one with an empty secret proves nothing.
            return authenticated and request.client.client_type == request.client.CLIENT_CONFIDENTIAL
        token_url = auth_url(django_request(request), "token/")
        try:
            client_id = assertions.verify(
                getattr(request, "client_assertion_type", ""),
                getattr(request, "client_assertion", ""),
                token_urls=[token_url, token_url.rstrip("/")],
                claimed_client_id=request.client_id or "",
            )
        except assertions.AssertionRefused as refused:
            log.info("client assertion refused: %s", refused.reason)
            return False
        request.client_id = client_id
        return self._load_application(client_id, request) is not None


def fhir_user_claim(request, fhir_user: str) -> str:
    """The `fhirUser` claim: absolute under the FHIR base, or relative where the vendor's is."""
    vendor, _ = vendor_of(request)
    return f"{fhir_base(request)}/{fhir_user}" if rules_for(vendor).fhir_user_absolute else fhir_user


def _base_of(oauthlib_request) -> tuple[str, str]:
    """(vendor, tenant) of the authorization server the oauthlib request came to."""
    return vendor_of(django_request(oauthlib_request))


def _client_vendor(application) -> str:
    try:
        return application.smart.vendor
    except (AttributeError, ObjectDoesNotExist):
        return ""


def _profile_names(user) -> dict:
    """`name`, `given_name` and `family_name` of a sandbox user (the names of its FHIR resource)."""
    names = {
        "name": user.get_full_name() if user is not None else "",
        "given_name": getattr(user, "first_name", ""),
        "family_name": getattr(user, "last_name", ""),
    }
    return {claim: value for claim, value in names.items() if value}


def _port_registered(redirect_uri: str, registered: list[str]) -> bool:
    def port_fits(uri: str) -> bool:
        allowed = urlsplit(uri)
        same = (allowed.scheme, allowed.hostname, allowed.path) == (asked.scheme, asked.hostname, asked.path)
        return same and allowed.port in (None, asked.port)

    try:
        asked = urlsplit(redirect_uri)
        return any(port_fits(uri) for uri in registered)
    except ValueError:  # a port that does not parse
        return False


def _has_assertion(request) -> bool:
    return bool(getattr(request, "client_assertion", None) or getattr(request, "client_assertion_type", None))


def _allowed_scopes(client) -> str:
    try:
        return client.smart.allowed_scopes
    except (AttributeError, ObjectDoesNotExist):
        return ""
