"""Production settings (SECURITY.md 4.1, 7.3c): `check --deploy` is clean, and the settings refuse to import
without each secret, or with a weak one. Each case runs in a subprocess with only the given environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
FERNET_KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "SMARTAPP_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "app.example.org",
    "APP_ORIGIN": "https://app.example.org",
    "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
    "AUDIT_HMAC_KEYS": secrets.token_hex(32),
}
_SHOW = """
import json, smartapp.settings as s
print(json.dumps({name: getattr(s, name) for name in %r}))
"""


_OURS = ("DJANGO_", "SMARTAPP_", "SANDBOX_", "SESSION_", "APP_ORIGIN", "FIELD_ENCRYPTION", "AUDIT_HMAC")


def _run(args: list[str], env_overrides: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)} | {
        "DJANGO_SETTINGS_MODULE": "smartapp.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",  # no network, nothing shared
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRODUCTION_VALUES = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "SECURE_REFERRER_POLICY": "same-origin",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    "X_FRAME_OPTIONS": "DENY",
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
    "SESSION_ENGINE": "django.contrib.sessions.backends.db",
    "DEBUG": False,
    "SESSION_IDLE_TIMEOUT": 900,
    "SESSION_ABSOLUTE_TIMEOUT": 43_200,
}


def test_production_turns_on_tls_cookies_and_headers(tmp_path):
    result = _run(["-c", _SHOW % list(PRODUCTION_VALUES)], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == PRODUCTION_VALUES


def test_the_session_limits_come_from_the_environment(tmp_path):
    env = {**PRODUCTION, "SESSION_IDLE_TIMEOUT": "600", "SESSION_ABSOLUTE_TIMEOUT": "28800"}
    result = _run(["-c", _SHOW % ["SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT"]], env, tmp_path)
    assert json.loads(result.stdout) == {"SESSION_IDLE_TIMEOUT": 600, "SESSION_ABSOLUTE_TIMEOUT": 28800}


def _refused(env: dict, tmp_path: Path) -> str:
    result = _run(["-c", "import smartapp.settings"], env, tmp_path)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("missing", sorted(PRODUCTION.keys() - {"SMARTAPP_ENV"}))
def test_production_refuses_to_start_without_each_required_variable(missing, tmp_path):
    message = _refused({k: v for k, v in PRODUCTION.items() if k != missing}, tmp_path)
    assert missing in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_SECRET_KEY", "too-short"),
        ("DJANGO_SECRET_KEY", "ab" * 40),  # long, but only two different characters
        ("DJANGO_SECRET_KEY", "django-insecure-" + secrets.token_urlsafe(50)),
        ("DJANGO_ALLOWED_HOSTS", "*"),
        ("DJANGO_ALLOWED_HOSTS", ""),
        ("APP_ORIGIN", "http://app.example.org"),
        ("FIELD_ENCRYPTION_KEYS", ""),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key-" + "s" * 30),
        ("AUDIT_HMAC_KEYS", ""),
        ("AUDIT_HMAC_KEYS", "short"),
        ("DJANGO_DEBUG", "true"),
    ],
)
def test_production_refuses_a_weak_or_malformed_setting(variable, value, tmp_path):
    message = _refused({**PRODUCTION, variable: value}, tmp_path)
    assert variable in message
    if len(value) > 8:
        assert value not in message  # a secret is named, never echoed
