"""One env-driven settings module.

Development needs no environment at all: SQLite, the built-in sandbox EHR, and a Celery broker on the
filesystem. Production (SMARTAPP_ENV=production) differs only by environment variables and refuses to
start without its secrets.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
SMARTAPP_ENV = env("SMARTAPP_ENV", default="development")
PRODUCTION = SMARTAPP_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
    DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Error pages are the app's in every mode, DEBUG included (core/errors.py): Django's technical pages list
# every URL pattern and a trace's local variables (patient data). A developer who wants them sets
# SHOW_TRACEBACKS=true; development only, ignored in production.
SHOW_TRACEBACKS = DEBUG and not PRODUCTION and env.bool("SHOW_TRACEBACKS", default=False)
DEFAULT_EXCEPTION_REPORTER = "smartapp.core.errors.ErrorPageReporter"

# Encryption at rest (tokens, secrets): Fernet keys, newest first. Audit HMAC keys: oldest first (an
# event names its key by index). Production must supply its own.
if PRODUCTION:
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
    AUDIT_HMAC_KEYS = env.list("AUDIT_HMAC_KEYS")
else:
    import base64
    import hashlib

    _dev_key = base64.urlsafe_b64encode(hashlib.sha256(f"fernet:{SECRET_KEY}".encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_dev_key])
    AUDIT_HMAC_KEYS = env.list(
        "AUDIT_HMAC_KEYS", default=[hashlib.sha256(f"audit:{SECRET_KEY}".encode()).hexdigest()]
    )

# The EHR registrations (one TOML file each) and the hosts the app may send requests to besides theirs.
LAUNCH_CONFIGS_DIR = Path(env("LAUNCH_CONFIGS_DIR", default=str(BASE_DIR / "launch_configs")))
EGRESS_ALLOWED_HOSTS = env.list("EGRESS_ALLOWED_HOSTS", default=[])
# The app's RSA key (PEM file) for private_key_jwt; "" = var/smartapp-signing-key.pem in development.
SMARTAPP_SIGNING_KEY_FILE = env("SMARTAPP_SIGNING_KEY_FILE", default="")
# The app's public origin, for redirect URIs (never taken from the Host header).
APP_ORIGIN = env("APP_ORIGIN") if PRODUCTION else env("APP_ORIGIN", default="http://127.0.0.1:8000")


def _refuse(variable: str, why: str):
    raise ImproperlyConfigured(f"{variable} {why}")


# Production refuses to start with a weak or malformed secret; a missing one already stopped it above.
if PRODUCTION:
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        _refuse("DJANGO_SECRET_KEY", "must be at least 50 random characters in production")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        _refuse("DJANGO_ALLOWED_HOSTS", "must name the app's hosts in production (no *)")
    if DEBUG:
        _refuse("DJANGO_DEBUG", "must be off in production: error pages would show patient data")
    if not APP_ORIGIN.startswith("https://"):
        _refuse("APP_ORIGIN", "must be the app's https:// origin in production")
    if not AUDIT_HMAC_KEYS or any(len(key) < 32 for key in AUDIT_HMAC_KEYS):
        _refuse("AUDIT_HMAC_KEYS", "must hold keys of at least 32 characters in production")
if not FIELD_ENCRYPTION_KEYS:
    _refuse("FIELD_ENCRYPTION_KEYS", "must hold at least one Fernet key")
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        _refuse("FIELD_ENCRYPTION_KEYS", "holds a value that is not a Fernet key (32 url-safe base64 bytes)")

# The built-in sandbox EHR: on in development, off in production unless asked for.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "smartapp.core",  # before whitenoise's runserver: core's runserver wraps it (a deeper listen backlog)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",  # MFA for the admin (docs/security.md "Admin accounts")
    "django_otp.plugins.otp_totp",
    "smartapp.ehr",
    "smartapp.audit",
    "smartapp.launch",
    "smartapp.chart",
    "smartapp.referrals",
    "smartapp.adt",
]
if SANDBOX_ENABLED:
    INSTALLED_APPS += ["oauth2_provider", "smartapp.sandbox"]

MIDDLEWARE = [
    "smartapp.core.correlation.CorrelationIdMiddleware",  # first: every later step and log line sees the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "smartapp.core.middleware.NoStoreMiddleware",
    "smartapp.launch.embedding.ContentSecurityPolicyMiddleware",
    "smartapp.launch.embedding.EmbeddedCookiesMiddleware",  # before the middlewares that set the cookies
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "smartapp.core.middleware.StyledNotFoundMiddleware",  # the app's 404 page while DEBUG is on
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(), which the admin site requires
    "smartapp.launch.session_policy.SessionTimeoutMiddleware",
    "smartapp.launch.roles.RoleDeclaredMiddleware",  # default deny: a view without a role is refused
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if SANDBOX_ENABLED:
    # Sandbox users sign in to the sandbox with a cookie of its own, never through the app's session.
    MIDDLEWARE += ["smartapp.sandbox.middleware.SandboxUserMiddleware"]

ROOT_URLCONF = "smartapp.urls"
OTP_TOTP_ISSUER = "smartapp"  # the name authenticator apps show next to an admin's TOTP code
WSGI_APPLICATION = "smartapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smartapp.core.context_processors.idle_warning",
            ],
        },
    },
]

# Sections other modules add to a clinician's chart, each chosen by name (STYLE.md convention 8): the
# chart calls `provider(connection=..., patient_id=..., today=...)` and shows what it returns with the
# provider's own template, never importing the module (chart/extra_sections.py). A provider that fails
# costs only its own section, which then says `unavailable`.
CHART_EXTRA_SECTIONS = [
    {
        "provider": "smartapp.referrals.chart_section.follow_up_section",
        "title": "Referrals and follow-up",
        "unavailable": "Follow-up status unavailable just now.",
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'smartapp.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL, IMMEDIATE transactions and a busy timeout make them wait
    # for the write lock instead of failing with "database is locked" (core/sqlite.py).
    from smartapp.core.sqlite import sqlite_options

    DATABASES["default"].setdefault("OPTIONS", {}).update(sqlite_options())
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
# Dates on the chart are shown in this zone (an IANA name such as "America/Chicago").
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    # Fetched chart data (PHI) for a repeat view: this process's memory only, never a shared cache.
    "chart": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "chart",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

# Every handler carries the PHI/secret redaction filter (core/log_redaction.py; docs/security.md "No PHI
# in logs"). Django's own defaults (DEFAULT_LOGGING) are replaced, not extended: their handlers have no
# filter, and mail_admins mails tracebacks with local variables.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "phi_redaction": {"()": "smartapp.core.log_redaction.PhiRedactionFilter"},
        "correlation_id": {"()": "smartapp.core.correlation.CorrelationIdFilter"},
    },
    "formatters": {
        # The request's correlation id, also on its error page (core/correlation.py).
        "app": {"format": "{levelname} {name} [{correlation_id}] {message}", "style": "{"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "app",
            "filters": ["correlation_id", "phi_redaction"],
        },
        # runserver's access log: its request lines carry ?code=...&state=... on the callback.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["phi_redaction"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "INFO", "propagate": True},  # to the filtered root handler only
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # At DEBUG it logs every missing template variable with the whole context: patient rows included.
        "django.template": {"level": "INFO"},
        # fhirclient logs launch parameters and tokens at DEBUG; oauthlib logs request bodies.
        "fhirclient": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Sessions, cookies and response headers (docs/security.md) ---------------------------------------
# Server-side sessions in the database: the cookie carries a random id only, never data or tokens.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Automatic logoff (launch/session_policy.py): seconds without a request, and seconds after sign-in.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_TIMEOUT_EXEMPT_PATHS = ["/sandbox/"] if SANDBOX_ENABLED else []  # the sandbox EHR is not the app
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT  # no session row outlives the absolute limit
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Secure cookies need https: always in production; in development only when APP_ORIGIN is https (over
# http://127.0.0.1 a Secure cookie would never come back).
_SECURE_COOKIES = PRODUCTION or APP_ORIGIN.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "smartapp.audit.csrf.csrf_failure"  # a 403 page and an access.denied audit event
# Lax, because the EHR's redirect back to /callback/ is a top-level navigation that must carry the cookie
# (Strict would drop it). An EHR that frames the app (embedding = "iframe" in launch_configs/) makes the
# app a third party, which needs SameSite=None: launch/embedding.py switches both cookies then.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
if _SECURE_COOKIES:  # __Host-: Secure, Path=/, no Domain, so no sibling subdomain can set or shadow them
    SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "__Host-sessionid", "__Host-csrftoken"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # embeddable views are exempted only while an EHR frames the app
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes may come over plain http
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the TLS-terminating proxy sets it
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Abuse limits (docs/security.md "Abuse limits") ---------------------------------------------------
# Launch (/launch/, /launch/<ehr>/) and callback requests per client IP (an IPv6 /64) in a fixed window of
# LAUNCH_RATE_WINDOW seconds, counted in the default cache (set CACHE_URL to a shared Redis in production,
# or each process counts alone); over it: 429 with Retry-After. 0 turns the limit off.
LAUNCH_RATE_LIMIT = env.int("LAUNCH_RATE_LIMIT", default=30)
LAUNCH_RATE_WINDOW = env.int("LAUNCH_RATE_WINDOW", default=60)
# Request bodies: the app's forms are a few short fields (an outreach note is at most 1,000 characters),
# and it takes no file uploads. Over these, Django answers 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
DATA_UPLOAD_MAX_NUMBER_FILES = 0

# django-csp: no inline script anywhere; launch/embedding.py adds the EHR hosts to form-action and, on
# pages an EHR may frame, its origins to frame-ancestors. The nonce is used only by the EHR's colours
# (templates/base.html) and appears in the header only on pages that have them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Celery -------------------------------------------------------------------------------------
# Development: a broker on the filesystem (no server). Production: redis:// or amqp:// from the env.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # A Redis that stops answering (hung, failing over, a connection dropped on the way) holds a
        # command this long at most, not forever (kombu's default). Above the worker's 1 s BRPOP poll.
        CELERY_BROKER_TRANSPORT_OPTIONS |= {"socket_timeout": 3, "socket_connect_timeout": 3}
# A publish to a broker that is down: one retry, then kombu's OperationalError. With the timeouts above,
# "track follow-up" answers within ~10 s of a hung Redis (at once if refused): its request waits in the
# outbox for the relay (referrals/outbox.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often beat syncs every EHR connection: no more often than every 15 minutes (SECURITY.md 5.2: polling
# cadence). The worklist warns that its data is stale once the last complete sync is twice this old.
REFERRAL_SYNC_INTERVAL_SECONDS = env.int("REFERRAL_SYNC_INTERVAL_SECONDS", default=900)
CELERY_BEAT_SCHEDULE = {
    # Every EHR connection, each in a task of its own (referrals/tasks.py).
    "referrals-sync-all": {
        "task": "smartapp.referrals.tasks.sync_all",
        "schedule": float(REFERRAL_SYNC_INTERVAL_SECONDS),
    },
    # Every morning before coordinators start: pending referrals past their due date become overdue.
    "referrals-refresh-states": {
        "task": "smartapp.referrals.tasks.refresh_states",
        "schedule": crontab(hour=5, minute=0),
    },
    # "Track follow-up" requests a broker outage left in the outbox, published once it is back.
    "referrals-relay-sync-requests": {
        "task": "smartapp.referrals.tasks.relay_sync_requests",
        "schedule": 60.0,
    },
    # Authorization requests that never came back: refused after 10 minutes anyway (launch/tasks.py).
    "launch-purge-pending": {
        "task": "smartapp.launch.tasks.purge_pending_authorizations",
        "schedule": 10 * 60.0,
    },
}
# Referral sync: how long a run's claim on a connection holds without being renewed (a crashed worker's
# claim lapses after this), the page size asked for, and a page cap per search.
REFERRAL_SYNC_LEASE_SECONDS = env.int("REFERRAL_SYNC_LEASE_SECONDS", default=300)
REFERRAL_SYNC_PAGE_SIZE = env.int("REFERRAL_SYNC_PAGE_SIZE", default=100)
REFERRAL_SYNC_MAX_PAGES = env.int("REFERRAL_SYNC_MAX_PAGES", default=10_000)
# How long one sync run waits for a Bulk Data export in process; a longer Retry-After ends the run as
# "pending" and its retry continues at the stored status URL (smartapp/ehr/population/bulk.py).
EHR_BULK_WAIT_SECONDS = env.float("EHR_BULK_WAIT_SECONDS", default=30.0)
# After the EHR refused a connection's Backend Services credentials (invalid_client), its syncs wait this
# long unless the credentials change or an admin clears the refusal (referrals/credential_backoff.py).
REFERRAL_SYNC_REFUSED_BACKOFF_HOURS = env.float("REFERRAL_SYNC_REFUSED_BACKOFF_HOURS", default=24.0)
# Follow-up tracking (docs/follow-up-rules.md): referrals written and stays ended more than this many days
# ago are kept but closed as "before tracking began" (a registration's `tracking_days` wins); a referral
# without a requested date is due this many days after it was written; and the follow-up rules' days, as
# JSON, e.g. REFERRAL_FOLLOW_UP_RULES='{"discharge-inpatient": {"due_days": 14}}'.
REFERRAL_TRACKING_DAYS = env.int("REFERRAL_TRACKING_DAYS", default=180)
REFERRAL_DEFAULT_DUE_DAYS = env.int("REFERRAL_DEFAULT_DUE_DAYS", default=30)
REFERRAL_FOLLOW_UP_RULES = env.json("REFERRAL_FOLLOW_UP_RULES", default={})
# A worker that starts (bin/run, a deploy) syncs at once the connections not synced within the interval,
# instead of leaving the worklist empty or stale until beat's next run (referrals/tasks.py). The tests'
# worker processes turn it off (tests/conftest.py).
REFERRAL_SYNC_ON_WORKER_START = env.bool("REFERRAL_SYNC_ON_WORKER_START", default=True)
# A coordinator's "Sync now" starts at most one sync of a connection within this many seconds.
REFERRAL_SYNC_NOW_MIN_SECONDS = env.int("REFERRAL_SYNC_NOW_MIN_SECONDS", default=120)

# The HL7 v2 ADT listener (smartapp/adt/, docs/adt.md): `manage.py adt_listen`. MLLP on ADT_PORT; in
# production over TLS with client certificates (ADT_TLS_CERT/KEY and ADT_TLS_CLIENT_CA); a peer whose
# address is not in ADT_ALLOWED_SOURCES (addresses or networks) is closed before a byte is read.
ADT_HOST = env.str("ADT_HOST", default="127.0.0.1")
ADT_PORT = env.int("ADT_PORT", default=2575)
ADT_ALLOWED_SOURCES = env.list("ADT_ALLOWED_SOURCES", default=["127.0.0.0/8", "::1/128"])
ADT_TLS_CERT = env.str("ADT_TLS_CERT", default="")
ADT_TLS_KEY = env.str("ADT_TLS_KEY", default="")
ADT_TLS_CLIENT_CA = env.str("ADT_TLS_CLIENT_CA", default="")  # CA bundle that signs the engines' client certs
# CA bundle that signs the engines' own listener certificates: application ACKs (enhanced mode) then go
# back over TLS, presenting ADT_TLS_CERT as smartapp's client certificate.
ADT_RETURN_TLS_CA = env.str("ADT_RETURN_TLS_CA", default="")
# Production refuses to listen without TLS unless this says a tunnel (stunnel, a VPN) already provides it.
ADT_PLAINTEXT_ALLOWED = env.bool("ADT_PLAINTEXT_ALLOWED", default=not PRODUCTION)
ADT_MAX_MESSAGE_BYTES = env.int("ADT_MAX_MESSAGE_BYTES", default=4 * 1024 * 1024)
ADT_MAX_CONNECTIONS = env.int("ADT_MAX_CONNECTIONS", default=64)
ADT_IDLE_SECONDS = env.float("ADT_IDLE_SECONDS", default=300.0)  # a connection silent this long is closed
# Processing (adt/process.py): the listener processes stored messages in process; beat sweeps what is left
# (a listener that stopped, an EHR that was down) every ADT_SWEEP_SECONDS; parked messages are matched
# again every ADT_PARKED_RETRY_SECONDS.
ADT_SWEEP_SECONDS = env.float("ADT_SWEEP_SECONDS", default=60.0)
ADT_PARKED_RETRY_SECONDS = env.float("ADT_PARKED_RETRY_SECONDS", default=3600.0)
# A patient matched by identifier search is searched again once its match is older than this
# (adt/matching.py): a merge or a corrected MRN at the EHR is followed within a day. Links stay.
ADT_MATCH_REFRESH_SECONDS = env.float("ADT_MATCH_REFRESH_SECONDS", default=86400.0)
CELERY_BEAT_SCHEDULE["adt-process-pending"] = {
    "task": "smartapp.adt.tasks.process_pending",
    "schedule": ADT_SWEEP_SECONDS,
}

if SANDBOX_ENABLED:
    from smartapp.sandbox.conf import *  # noqa: E402,F403  sandbox-only settings (DOT, signing key)

    CELERY_BEAT_SCHEDULE["sandbox-purge-expired"] = {
        "task": "smartapp.sandbox.tasks.purge_expired",
        "schedule": 3600.0,
    }
