"""Discovery documents under the FHIR base, and the style file launch contexts point to."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from smartapp.sandbox.auth.assertions import ALGORITHMS
from smartapp.sandbox.auth.scopes import SmartScopes
from smartapp.sandbox.base_url import auth_url, fhir_base, vendor_of
from smartapp.sandbox.vendors import rules_for

# https://hl7.org/fhir/smart-app-launch/conformance.html#capabilities
CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-banner",
    "context-style",
    "permission-patient",
    "permission-user",
    "permission-offline",
    "permission-online",
    "permission-v1",
    "permission-v2",
]
AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

# The style a launch hands the app (SMART's `smart_style_url`), in the reference sandbox's vocabulary.
STYLE = {
    "color_background": "#f6f8fa",
    "color_error": "#b3261e",
    "color_highlight": "#1f5fa8",
    "color_modal_backdrop": "",
    "color_success": "#2e7d32",
    "color_text": "#1d2733",
    "dim_border_radius": "8px",
    "dim_font_size": "15px",
    "dim_spacing_size": "16px",
    "font_family_body": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "font_family_heading": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
}


@require_GET
def smart_configuration(request):
    """`.well-known/smart-configuration` (SMART App Launch 2.x, section 2.0.8), as the request's vendor
    emulation publishes it: athena's omits PKCE (which it still requires), MEDITECH's client_credentials,
    and a v1-scope vendor's the permission-v2 capability."""
    rules = rules_for(vendor_of(request)[0])
    grants = ["authorization_code", "refresh_token"] + (
        ["client_credentials"] if rules.client_credentials else []
    )
    document = {
        **_endpoints(request),
        "introspection_endpoint": auth_url(request, "introspect/"),
        "revocation_endpoint": auth_url(request, "revoke/"),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "grant_types_supported": grants,
        "scopes_supported": SmartScopes().get_available_scopes(),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [c for c in CAPABILITIES if rules.scope_grammar == "v2" or c != "permission-v2"],
    }
    return _public_json(_without_pkce(document, rules))


def _without_pkce(document: dict, rules) -> dict:
    if not rules.advertises_pkce:
        document.pop("code_challenge_methods_supported")
    return document


# name, given_name and family_name only with the `profile` scope (validator.py)
CLAIMS = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "fhirUser",
    "name",
    "given_name",
    "family_name",
]


@require_GET
def openid_configuration(request):
    """OpenID Connect discovery for the sandbox's id_tokens, whose issuer is the FHIR base."""
    rules = rules_for(vendor_of(request)[0])
    return _public_json(
        _without_pkce(
            {
                **_endpoints(request),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": SmartScopes().get_available_scopes(),
                "token_endpoint_auth_methods_supported": AUTH_METHODS,
                "claims_supported": CLAIMS,
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            },
            rules,
        )
    )


@require_GET
def smart_style(request):
    return _public_json(STYLE)


def _endpoints(request) -> dict:
    return {
        "issuer": fhir_base(request),
        "jwks_uri": auth_url(request, "jwks/"),
        "authorization_endpoint": auth_url(request, "authorize/"),
        "token_endpoint": auth_url(request, "token/"),
    }


def _public_json(data: dict) -> JsonResponse:
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"  # browser apps read these before they hold any token
    return response
