"""Settings of the sandbox EHR, star-imported by smartapp.settings only when the sandbox is enabled."""

from pathlib import Path

import environ

from smartapp.sandbox.signing_key import load_or_create_private_key

_env = environ.Env()
_BASE_DIR = Path(__file__).resolve().parent.parent.parent

SANDBOX_SIGNING_KEY_FILE = Path(
    _env("SANDBOX_SIGNING_KEY_FILE", default=str(_BASE_DIR / "var" / "sandbox-signing-key.pem"))
)

OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "smartapp.sandbox.auth.server.SmartServer",
    "OAUTH2_VALIDATOR_CLASS": "smartapp.sandbox.auth.validator.SmartValidator",
    "SCOPES_BACKEND_CLASS": "smartapp.sandbox.auth.scopes.SmartScopes",
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": load_or_create_private_key(SANDBOX_SIGNING_KEY_FILE),
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "auto",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
}

# Apps the sandbox's own seed registers as clients (redirect URIs for the app running on this machine).
SANDBOX_APP_CLIENT_ID = _env("SANDBOX_APP_CLIENT_ID", default="smartapp")
SANDBOX_BACKEND_CLIENT_ID = _env("SANDBOX_BACKEND_CLIENT_ID", default="smartapp-backend")
SANDBOX_APP_ORIGINS = _env.list(
    "SANDBOX_APP_ORIGINS", default=["http://127.0.0.1:8000", "http://localhost:8000"]
)

# Bulk Data $export (smartapp/sandbox/bulk/): how long a job takes before its manifest is ready, and how
# many NDJSON lines one output file holds at most.
SANDBOX_EXPORT_SECONDS = _env.float("SANDBOX_EXPORT_SECONDS", default=1.0)
SANDBOX_EXPORT_FILE_LINES = _env.int("SANDBOX_EXPORT_FILE_LINES", default=10_000)

# django-oauth-toolkit's models are swappable; the sandbox uses the stock ones and names them for migrations.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# The ADT feed (smartapp/sandbox/adt/): where the sandbox's interface engine sends HL7 v2 over MLLP
# ("host:port", smartapp's `adt_listen`), and whether ending an inpatient Encounter sends its A03.
SANDBOX_ADT_TARGET = _env("SANDBOX_ADT_TARGET", default="127.0.0.1:2575")
SANDBOX_ADT_ENABLED = _env.bool("SANDBOX_ADT_ENABLED", default=True)
SANDBOX_ADT_ACK_TIMEOUT = _env.float("SANDBOX_ADT_ACK_TIMEOUT", default=5.0)
SANDBOX_ADT_MAX_ATTEMPTS = _env.int("SANDBOX_ADT_MAX_ATTEMPTS", default=5)
