"""The sandbox's oauthlib server: OpenID Connect's, with SMART's PKCE rule and token response fields."""

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

from smartapp.sandbox.auth.scopes import OFFLINE_SCOPES

# SMART App Launch 2.x requires S256 and forbids `plain`; oauthlib accepts both (and defaults a missing
# method to plain), so a request without S256 fails with invalid_request at the authorize endpoint.
S256_ONLY = {"S256": code_challenge_method_s256}


class SmartServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        # The OIDC authorization-code grant delegates to a second OAuth2 grant of its own.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = S256_ONLY
            grant.register_token_modifier(add_smart_fields)
        self.refresh_grant.register_token_modifier(add_smart_fields)


def add_smart_fields(token, token_handler, request):
    """Add the launch context to a token response; keep a refresh token only for offline/online access."""
    context = getattr(request, "smart_context", None)
    if context is not None:
        token.update(context.token_fields())
    if not OFFLINE_SCOPES & set(request.scopes or ()):
        token.pop("refresh_token", None)
    return token
