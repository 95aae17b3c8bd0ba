"""Driving a vendor emulation's authorization server the way an app does: discovery first, then its own
endpoints (which, for Oracle, live on the other loopback host name)."""

from urllib.parse import urlencode

import requests

from smartapp.sandbox.auth import clients
from tests.sandbox.auth import flow

CLIENT_ID = "vendor-app"


def register(vendor: str, client_id: str = CLIENT_ID):
    return clients.register(client_id, redirect_uris=[flow.REDIRECT_URI], vendor=vendor).application


def discover(fhir_base: str) -> dict:
    response = requests.get(f"{fhir_base}/.well-known/smart-configuration", timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def authorize(session: requests.Session, endpoint: str, params: dict) -> requests.Response:
    return session.get(f"{endpoint}?{urlencode(params)}", allow_redirects=False, timeout=15)


def ehr_code(session, fhir_base: str, launch, scope: str, **overrides) -> tuple[str, flow.Pkce]:
    """Authorize an EHR launch at the base's own authorization endpoint; (code, pkce)."""
    pkce = flow.Pkce.new()
    params = flow.authorize_params(fhir_base, pkce, client_id=CLIENT_ID, scope=scope, launch=launch.launch)
    response = authorize(session, discover(fhir_base)["authorization_endpoint"], {**params, **overrides})
    return flow.redirect_query(response).get("code", ""), pkce


def exchange(fhir_base: str, code: str, verifier: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }
    return requests.post(discover(fhir_base)["token_endpoint"], data=data, timeout=15)


def refresh(fhir_base: str, refresh_token: str) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID}
    return requests.post(discover(fhir_base)["token_endpoint"], data=data, timeout=15)
