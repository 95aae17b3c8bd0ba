"""The launch errors of SMART's reference launcher, injected per request or per client."""

from smartapp.sandbox import faults
from tests.sandbox.auth import flow


def _with_fault(session, kind: str):
    session.headers["X-Sandbox-Fault"] = kind
    return session


def test_auth_invalid_client_id_shows_an_error_page_without_redirecting(browser, base_url, fhir_base, pkce):
    response = flow.authorize(
        _with_fault(browser, faults.AUTH_INVALID_CLIENT_ID), base_url, flow.authorize_params(fhir_base, pkce)
    )
    assert response.status_code == 400
    assert "Unknown client" in response.text
    assert "Location" not in response.headers


def test_auth_invalid_redirect_uri_shows_an_error_page_without_redirecting(
    browser, base_url, fhir_base, pkce
):
    session = _with_fault(browser, faults.AUTH_INVALID_REDIRECT_URI)
    response = flow.authorize(session, base_url, flow.authorize_params(fhir_base, pkce))
    assert response.status_code == 400
    assert "redirect_uri" in response.text
    assert "Location" not in response.headers


def test_auth_invalid_scope_redirects_with_invalid_scope_and_state(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce)
    query = flow.redirect_query(
        flow.authorize(_with_fault(browser, faults.AUTH_INVALID_SCOPE), base_url, params)
    )
    assert query["error"] == "invalid_scope"
    assert query["state"] == params["state"]


def test_a_fault_row_for_one_client_applies_to_that_client_only(browser, base_url, fhir_base, pkce):
    faults.switch_on(faults.AUTH_INVALID_SCOPE, client_id="another-app")
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs")
    assert "code" in flow.redirect_query(flow.authorize(browser, base_url, params))
    faults.switch_on(faults.AUTH_INVALID_SCOPE, client_id=flow.CLIENT_ID, remaining=1)
    assert flow.redirect_query(flow.authorize(browser, base_url, params))["error"] == "invalid_scope"
    assert "code" in flow.redirect_query(flow.authorize(browser, base_url, params))


def test_token_invalid_token_refuses_the_code(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs")
    code = flow.redirect_query(flow.authorize(browser, base_url, params))["code"]
    faults.switch_on(faults.TOKEN_INVALID_TOKEN, client_id=flow.CLIENT_ID)
    response = flow.exchange_code(base_url, code, pkce.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.headers["Cache-Control"] == "no-store"


def test_token_expired_refresh_token_refuses_the_refresh(browser, base_url, fhir_base, practitioner):
    launch = flow.new_launch(practitioner)
    token = flow.ehr_tokens(browser, base_url, fhir_base, launch, "launch offline_access patient/*.rs").json()
    response = flow.refresh(
        base_url, token["refresh_token"], **{"X-Sandbox-Fault": faults.TOKEN_EXPIRED_REFRESH}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert flow.refresh(base_url, token["refresh_token"]).status_code == 200
