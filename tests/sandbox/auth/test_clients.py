"""Registering clients as data: clients.register, register_default_app and the sandbox_client command."""

import json
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from django.test import override_settings
from oauth2_provider.models import get_application_model

from smartapp.sandbox.auth import clients
from tests.sandbox.auth import flow

Application = get_application_model()


def test_registering_again_updates_the_client(db):
    first = clients.register("app-1", redirect_uris=["http://127.0.0.1:9/a/"], scopes="openid")
    again = clients.register(
        "app-1", redirect_uris=["http://127.0.0.1:9/b/"], launch_url="http://127.0.0.1:9/l/"
    )
    assert first.created and not again.created
    app = Application.objects.get(client_id="app-1")
    assert app.redirect_uris == "http://127.0.0.1:9/b/"
    assert app.client_type == "public" and app.skip_authorization and app.algorithm == "RS256"
    assert (app.smart.launch_url, app.smart.allowed_scopes) == ("http://127.0.0.1:9/l/", "")
    assert Application.objects.filter(client_id="app-1").count() == 1


@override_settings(
    SANDBOX_APP_CLIENT_ID="smartapp", SANDBOX_APP_ORIGINS=["http://127.0.0.1:8000", "http://localhost:8000"]
)
def test_the_default_app_is_a_public_client_calling_back_to_each_origin(db):
    app = clients.register_default_app().application
    assert app.client_id == "smartapp" and app.client_type == "public"
    assert app.redirect_uris.split() == [
        "http://127.0.0.1:8000/callback/sandbox/",
        "http://localhost:8000/callback/sandbox/",
    ]
    assert app.smart.launch_url == "http://127.0.0.1:8000/launch/"
    assert app.skip_authorization


@override_settings(
    SANDBOX_BACKEND_CLIENT_ID="smartapp-backend", SANDBOX_APP_ORIGINS=["http://127.0.0.1:8000"]
)
def test_the_default_backend_is_a_keys_only_client_reading_the_apps_jwks_url(db):
    app = clients.register_default_backend().application
    assert (app.client_id, app.client_type, app.authorization_grant_type) == (
        "smartapp-backend",
        "confidential",
        "client-credentials",
    )
    assert app.smart.jwks == {"jwks_uri": "http://127.0.0.1:8000/.well-known/jwks.json"}
    assert app.smart.allowed_scopes == "system/*.rs" and app.redirect_uris == ""
    assert clients.register_default_backend().created is False


def test_a_confidential_client_without_secret_or_keys_gets_a_secret_shown_once(db):
    registered = clients.register(
        "conf-1", client_type=clients.CONFIDENTIAL, redirect_uris=[flow.REDIRECT_URI]
    )
    assert len(registered.secret) > 20
    assert Application.objects.get(client_id="conf-1").client_secret != registered.secret  # stored hashed
    assert clients.register("conf-1", client_type=clients.CONFIDENTIAL).secret == ""


def test_the_command_registers_lists_and_removes_clients(db, tmp_path):
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [{"kty": "EC", "kid": "k1"}]}))
    out = StringIO()
    call_command(
        "sandbox_client", "register", "--client-id", "svc", "--type", "confidential",
        "--grant-type", "client_credentials", "--jwks-file", str(jwks_file), "--scopes", "system/*.rs",
        stdout=out,
    )  # fmt: skip
    assert "registered svc" in out.getvalue()
    app = Application.objects.get(client_id="svc")
    assert app.authorization_grant_type == "client-credentials"
    assert app.smart.jwks["keys"][0]["kid"] == "k1" and app.smart.allowed_scopes == "system/*.rs"
    listing = StringIO()
    call_command("sandbox_client", "list", stdout=listing)
    assert "svc\tconfidential\tclient-credentials\tkeys" in listing.getvalue()
    call_command("sandbox_client", "remove", "--client-id", "svc", stdout=StringIO())
    assert not Application.objects.filter(client_id="svc").exists()
    with pytest.raises(CommandError):
        call_command("sandbox_client", "remove", "--client-id", "svc")


def test_the_command_refuses_a_file_that_is_not_a_jwks(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    with pytest.raises(CommandError):
        call_command("sandbox_client", "register", "--client-id", "x", "--jwks-file", str(bad))


def test_a_confidential_symmetric_client_authenticates_with_client_secret_basic(browser, base_url, fhir_base):
    clients.register(
        "conf-2", client_type=clients.CONFIDENTIAL, redirect_uris=[flow.REDIRECT_URI], secret="s3cret"
    )
    pkce = flow.Pkce.new()
    params = flow.authorize_params(fhir_base, pkce, client_id="conf-2", scope="openid user/*.rs")
    code = flow.redirect_query(flow.authorize(browser, base_url, params))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.REDIRECT_URI}
    token_url = f"{base_url}/sandbox/auth/token/"
    wrong = requests.post(token_url, data={**data, "code_verifier": pkce.verifier}, auth=("conf-2", "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    right = requests.post(token_url, data={**data, "code_verifier": pkce.verifier}, auth=("conf-2", "s3cret"))
    assert right.status_code == 200 and right.json()["access_token"]
