"""Token, revocation and introspection endpoints: django-oauth-toolkit's, on the SMART server."""

import base64
import binascii
import hashlib
import json
from urllib.parse import unquote_plus

from django.http import JsonResponse
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import IntrospectTokenView, RevokeTokenView, TokenView

from smartapp.sandbox import faults
from smartapp.sandbox.auth.server import SmartServer
from smartapp.sandbox.auth.validator import fhir_user_claim
from smartapp.sandbox.base_url import vendor_of
from smartapp.sandbox.models import TokenContext
from smartapp.sandbox.vendors import rules_for

# The launch errors of SMART's reference launcher that strike at the token endpoint, per grant type.
_TOKEN_FAULTS = {
    "authorization_code": (faults.TOKEN_INVALID_TOKEN, "The authorization code is invalid (injected fault)."),
    "refresh_token": (faults.TOKEN_EXPIRED_REFRESH, "The refresh token has expired (injected fault)."),
}


class SmartTokenView(TokenView):
    server_class = SmartServer

    def post(self, request, *args, **kwargs):
        rules = rules_for(vendor_of(request)[0])
        refused = _grant_refusal(request, rules) or _injected_refusal(request)
        response = refused or _without_rotation(request, rules, super().post(request, *args, **kwargs))
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


def _grant_refusal(request, rules):
    """A vendor that offers no SMART Backend Services refuses the grant (RFC 6749 section 5.2)."""
    if request.POST.get("grant_type") != "client_credentials" or rules.client_credentials:
        return None
    description = "This authorization server does not offer the client_credentials grant."
    return JsonResponse({"error": "unsupported_grant_type", "error_description": description}, status=400)


def _without_rotation(request, rules, response):
    """A vendor that does not rotate refresh tokens answers a refresh with no refresh token: the one the
    client holds stays valid (Oracle, https://fhir.cerner.com/authorization/)."""
    if (
        rules.refresh_rotates
        or request.POST.get("grant_type") != "refresh_token"
        or response.status_code != 200
    ):
        return response
    data = json.loads(response.content)
    data.pop("refresh_token", None)
    return JsonResponse(data, status=response.status_code)


def _injected_refusal(request):
    grant_type = request.POST.get("grant_type", "")
    if grant_type not in _TOKEN_FAULTS:
        return None
    kind, description = _TOKEN_FAULTS[grant_type]
    if kind not in faults.active(request, client_id=_caller_client_id(request), kinds={kind}):
        return None
    return JsonResponse({"error": "invalid_grant", "error_description": description}, status=400)


def _caller_client_id(request) -> str:
    """The client_id the caller names (unauthenticated: only to pick which faults apply)."""
    if request.POST.get("client_id"):
        return request.POST["client_id"]
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme != "Basic":
        return ""
    try:
        return unquote_plus(base64.b64decode(encoded).decode().split(":", 1)[0])
    except (binascii.Error, UnicodeDecodeError):
        return ""


class SmartRevokeTokenView(RevokeTokenView):
    server_class = SmartServer


class SmartIntrospectView(IntrospectTokenView):
    """RFC 7662 introspection for an authenticated client or the bearer of any valid token.

    Adds SMART's `patient`, `encounter` and `fhirUser` to an active token's answer.
    """

    server_class = SmartServer
    required_scopes = []  # any valid bearer token may introspect; DOT's default wants "introspection"

    def get(self, request, *args, **kwargs):
        return self._answer(request, request.GET.get("token"))

    def post(self, request, *args, **kwargs):
        return self._answer(request, request.POST.get("token"))

    def _answer(self, request, token_value):
        response = self.get_token_response(token_value)
        data = json.loads(response.content)
        if not data.get("active"):
            return response
        checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
        context = TokenContext.objects.filter(
            access_token__in=get_access_token_model().objects.filter(token_checksum=checksum)
        ).first()
        if context is not None and (context.vendor, context.tenant) != vendor_of(request):
            return JsonResponse({"active": False})  # another base's token is not one of this server's
        if context is not None:
            data.update(_context_claims(request, context))
        return JsonResponse(data)


def _context_claims(request, context: TokenContext) -> dict:
    claims = {"patient": context.patient_id, "encounter": context.encounter_id}
    if context.fhir_user:
        claims["fhirUser"] = fhir_user_claim(request, context.fhir_user)
    return {name: value for name, value in claims.items() if value}
