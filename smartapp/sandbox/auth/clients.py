"""Registering the sandbox's SMART clients as data: a DOT Application plus its ClientProfile."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from smartapp.sandbox.models import ClientProfile
from smartapp.sandbox.vendors import VENDORS

Application = get_application_model()
PUBLIC = Application.CLIENT_PUBLIC
CONFIDENTIAL = Application.CLIENT_CONFIDENTIAL
AUTHORIZATION_CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS


@dataclass(frozen=True)
class Registered:
    application: Application
    created: bool
    secret: str  # a secret generated here, to show once; "" when none was generated


@transaction.atomic
def register(
    client_id: str,
    *,
    client_type: str = PUBLIC,
    redirect_uris=(),
    secret: str | None = None,
    jwks: dict | None = None,
    scopes: str = "",
    launch_url: str = "",
    grant_type: str = AUTHORIZATION_CODE,
    name: str = "",
    skip_authorization: bool = True,
    vendor: str = "",
) -> Registered:
    """Create or update the client `client_id` (idempotent: registering again updates it).

    `vendor` registers it with a vendor emulation (smartapp/sandbox/vendors/): it then authorizes only at
    that vendor's endpoints; "" = the plain sandbox.

    A confidential client registered without a secret or keys gets a generated secret, returned once.
    `jwks` is a JWKS document, or {"jwks_uri": url} for keys the client publishes itself.
    """
    if client_type not in (PUBLIC, CONFIDENTIAL):
        raise ValueError("client_type must be public or confidential")
    if vendor and vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}")
    application = Application.objects.filter(client_id=client_id).first()
    created = application is None
    application = application or Application(client_id=client_id)
    generated = ""
    if client_type == CONFIDENTIAL and secret is None and not jwks and not application.pk:
        generated = secret = generate_client_secret()
    application.client_type = client_type
    application.authorization_grant_type = grant_type
    application.redirect_uris = " ".join(redirect_uris)
    application.name = name or application.name or client_id
    application.skip_authorization = skip_authorization
    application.algorithm = Application.RS256_ALGORITHM  # id_tokens are signed with the sandbox's RSA key
    _set_secret(application, client_type, secret)
    application.save()
    _save_profile(application, jwks=jwks, scopes=scopes, launch_url=launch_url, vendor=vendor)
    return Registered(application, created, generated)


def _set_secret(application, client_type: str, secret: str | None) -> None:
    if client_type == PUBLIC:
        # A public client has no secret (the validator never authenticates one), so nothing to hash.
        application.hash_client_secret, application.client_secret = False, ""
    elif secret is not None:
        application.hash_client_secret, application.client_secret = True, secret  # hashed on save()
    elif not application.pk:
        # Keys only: a random secret nobody is told, so the keys are the only way to authenticate.
        application.hash_client_secret, application.client_secret = False, secrets.token_urlsafe(48)


def _save_profile(application, *, jwks, scopes: str, launch_url: str, vendor: str) -> None:
    profile, _ = ClientProfile.objects.get_or_create(application=application)
    profile.vendor = vendor
    if jwks is not None:
        profile.jwks = jwks
    profile.allowed_scopes = scopes
    profile.launch_url = launch_url
    profile.save()


def register_default_app(origins=None) -> Registered:
    """Register smartapp itself: a public PKCE client calling back to /callback/sandbox/ on each origin."""
    origins = [origin.rstrip("/") for origin in (origins or settings.SANDBOX_APP_ORIGINS)]
    return register(
        settings.SANDBOX_APP_CLIENT_ID,
        client_type=PUBLIC,
        redirect_uris=[f"{origin}/callback/sandbox/" for origin in origins],
        launch_url=f"{origins[0]}/launch/",
        name="smartapp",
        skip_authorization=True,
    )


def register_default_backend(origins=None) -> Registered:
    """Register smartapp's Backend Services client: keys only, read from the app's JWKS URL over HTTP."""
    origin = (origins or settings.SANDBOX_APP_ORIGINS)[0].rstrip("/")
    return register(
        settings.SANDBOX_BACKEND_CLIENT_ID,
        client_type=CONFIDENTIAL,
        grant_type=CLIENT_CREDENTIALS,
        jwks={"jwks_uri": f"{origin}/.well-known/jwks.json"},
        scopes="system/*.rs",
        name="smartapp (background sync)",
    )


def remove(client_id: str) -> bool:
    """Delete the client (and, by cascade, its profile, grants and tokens). False if there was none."""
    return Application.objects.filter(client_id=client_id).delete()[0] > 0


def all_clients():
    return Application.objects.select_related("smart").order_by("client_id")
