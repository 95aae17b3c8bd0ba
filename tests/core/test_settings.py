"""Production settings come only from the environment and refuse to start without their secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CHECK = "import django; django.setup(); from django.conf import settings; print(settings.SANDBOX_ENABLED)"


def _django(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SMARTAPP_", "SANDBOX_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "smartapp.settings", **env_overrides}
    return subprocess.run([sys.executable, "-c", _CHECK], cwd=ROOT, env=env, capture_output=True, text=True)


PRODUCTION_ENV = {
    "SMARTAPP_ENV": "production",
    "DJANGO_SECRET_KEY": "a-long-random-looking-secret-key-for-tests-0123456789-abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "a.example.org",
    "APP_ORIGIN": "https://a.example.org",
    "FIELD_ENCRYPTION_KEYS": "UJb2aJ0AxfO7G3kCkdm8dmpT4W0P35bsr0OxTJzXxM0=",
    "AUDIT_HMAC_KEYS": "k" * 64,
}


@pytest.mark.parametrize("missing", ["APP_ORIGIN", "FIELD_ENCRYPTION_KEYS", "AUDIT_HMAC_KEYS"])
def test_production_refuses_to_start_without_its_keys_and_origin(missing):
    result = _django({k: v for k, v in PRODUCTION_ENV.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _django({"SMARTAPP_ENV": "production", "DJANGO_ALLOWED_HOSTS": "app.example.org"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _django({"SMARTAPP_ENV": "production", "DJANGO_SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_turns_the_sandbox_off_unless_asked():
    base = PRODUCTION_ENV
    assert _django(base).stdout.strip() == "False"
    assert _django({**base, "SANDBOX_ENABLED": "true"}).stdout.strip() == "True"


def test_development_needs_no_environment_and_has_the_sandbox():
    result = _django({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
