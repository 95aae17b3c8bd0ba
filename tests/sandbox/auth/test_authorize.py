"""The authorization endpoint: PKCE, aud, state, EHR launch binding, the patient picker, sign-in."""

import re
from datetime import timedelta

from django.utils import timezone

from smartapp.sandbox.models import LaunchContext
from tests.sandbox.auth import flow


def test_an_ehr_launch_redirects_a_visitor_who_is_not_signed_in_to_the_sandbox_sign_in(
    base_url, fhir_base, app, pkce, practitioner
):
    launch = flow.new_launch(practitioner)
    params = flow.authorize_params(fhir_base, pkce, scope="launch patient/*.rs", launch=launch.launch)
    with flow.requests.Session() as anonymous:
        response = flow.authorize(anonymous, base_url, params)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sandbox/auth/login/?next=/sandbox/auth/authorize/")


def test_the_sign_in_page_lists_sandbox_users_by_role(base_url, practitioner, patient_identity):
    page = flow.requests.get(f"{base_url}/sandbox/auth/login/")
    assert "Practitioner/pr-1" in page.text and "Patient/p-1" in page.text
    assert page.text.index("Practitioner</h2>") < page.text.index("Patient</h2>")


def test_it_issues_a_code_and_echoes_state_with_s256(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid fhirUser patient/*.rs")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["code"]
    assert query["state"] == params["state"]


def test_it_refuses_a_request_without_a_code_challenge(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, code_challenge=None, code_challenge_method=None)
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["error"] == "invalid_request"
    assert query["state"] == params["state"]
    assert "code" not in query


def test_it_refuses_plain_pkce(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(
        fhir_base, pkce, code_challenge=pkce.verifier, code_challenge_method="plain"
    )
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["error"] == "invalid_request"
    assert "code" not in query


def test_it_refuses_a_challenge_without_a_method_which_oauthlib_would_take_as_plain(
    browser, base_url, fhir_base, pkce
):
    params = flow.authorize_params(fhir_base, pkce, code_challenge_method=None)
    assert flow.redirect_query(flow.authorize(browser, base_url, params))["error"] == "invalid_request"


def test_it_refuses_a_missing_or_foreign_aud(browser, base_url, fhir_base, pkce):
    for aud in (None, "https://elsewhere.example/fhir"):
        params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs", aud=aud)
        query = flow.redirect_query(flow.authorize(browser, base_url, params))
        assert query["error"] == "invalid_request"
        assert query["state"] == params["state"]


def test_it_accepts_aud_with_a_trailing_slash(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs", aud=fhir_base + "/")
    assert "code" in flow.redirect_query(flow.authorize(browser, base_url, params))


def test_it_refuses_unknown_scopes_with_invalid_scope(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs admin:everything")
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["error"] == "invalid_scope"
    assert query["state"] == params["state"]


def test_it_refuses_system_scopes_to_a_user_facing_app(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="openid system/*.rs")
    assert flow.redirect_query(flow.authorize(browser, base_url, params))["error"] == "invalid_scope"


def test_it_limits_scopes_to_those_the_client_was_registered_with(browser, base_url, fhir_base, pkce, app):
    app.smart.allowed_scopes = "openid fhirUser launch/patient patient/Observation.rs"
    app.smart.save()
    allowed = flow.authorize_params(fhir_base, pkce, scope="openid patient/Observation.rs")
    assert "code" in flow.redirect_query(flow.authorize(browser, base_url, allowed))
    wider = flow.authorize_params(fhir_base, pkce, scope="openid patient/*.rs")
    assert flow.redirect_query(flow.authorize(browser, base_url, wider))["error"] == "invalid_scope"


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, redirect_uri="https://attacker.example/cb")
    response = flow.authorize(browser, base_url, params)
    assert response.status_code == 400
    assert "Authorization error" in response.text
    assert "Location" not in response.headers


def test_an_ehr_launch_of_the_signed_in_user_is_accepted_once(browser, base_url, fhir_base, practitioner):
    launch = flow.new_launch(practitioner)
    first = flow.ehr_tokens(browser, base_url, fhir_base, launch, "launch openid fhirUser patient/*.rs")
    assert first.status_code == 200
    launch.refresh_from_db()
    assert launch.used_at is not None
    params = flow.authorize_params(
        fhir_base, flow.Pkce.new(), scope="launch patient/*.rs", launch=launch.launch
    )
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["error"] == "invalid_request"
    assert "already used" in query["error_description"]


def test_it_refuses_the_launch_of_another_user(base_url, fhir_base, browser, other_practitioner, pkce):
    launch = flow.new_launch(other_practitioner)
    params = flow.authorize_params(fhir_base, pkce, scope="launch patient/*.rs", launch=launch.launch)
    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    assert query["error"] == "invalid_request"
    launch.refresh_from_db()
    assert launch.used_at is None


def test_it_refuses_a_stale_launch(base_url, fhir_base, browser, practitioner, pkce):
    launch = flow.new_launch(practitioner)
    LaunchContext.objects.filter(pk=launch.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    params = flow.authorize_params(fhir_base, pkce, scope="launch patient/*.rs", launch=launch.launch)
    assert flow.redirect_query(flow.authorize(browser, base_url, params))["error"] == "invalid_request"


def test_it_refuses_the_launch_scope_without_a_launch(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, scope="launch patient/*.rs")
    assert flow.redirect_query(flow.authorize(browser, base_url, params))["error"] == "invalid_request"


def test_a_practitioner_picks_the_patient_of_a_standalone_launch(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce)
    picker = flow.authorize(browser, base_url, params)
    assert picker.status_code == 200
    assert "Alice Anders" in picker.text and "Bob Brown" in picker.text
    query = flow.redirect_query(flow.choose_patient(browser, picker, "p-2"))
    assert query["state"] == params["state"]
    token = flow.exchange_code(base_url, query["code"], pkce.verifier).json()
    assert token["patient"] == "p-2"


def test_the_patient_picker_searches_by_name(browser, base_url, fhir_base, pkce):
    params = flow.authorize_params(fhir_base, pkce, patient_search="brow")
    picker = flow.authorize(browser, base_url, params)
    assert "Bob Brown" in picker.text
    assert "Alice Anders" not in picker.text


def test_the_picker_refuses_a_patient_that_does_not_exist(browser, base_url, fhir_base, pkce):
    picker = flow.authorize(browser, base_url, flow.authorize_params(fhir_base, pkce))
    query = flow.redirect_query(flow.choose_patient(browser, picker, "p-404"))
    assert query["error"] == "invalid_request"


def test_a_signed_in_patient_gets_their_own_record_without_a_picker(
    base_url, fhir_base, app, patient_identity
):
    pkce = flow.Pkce.new()
    with flow.signed_in_session(base_url, patient_identity) as session:
        query = flow.redirect_query(flow.authorize(session, base_url, flow.authorize_params(fhir_base, pkce)))
    token = flow.exchange_code(base_url, query["code"], pkce.verifier).json()
    assert token["patient"] == "p-1"


def test_signing_out_ends_the_sandbox_session(browser, base_url, fhir_base, pkce, practitioner):
    page = browser.get(f"{base_url}/sandbox/auth/login/").text
    token = re.search(r'name="sandbox_form_token" value="([^"]+)"', page).group(1)
    browser.post(f"{base_url}/sandbox/auth/logout/", data={"sandbox_form_token": token})
    launch = flow.new_launch(practitioner)
    params = flow.authorize_params(fhir_base, pkce, scope="launch patient/*.rs", launch=launch.launch)
    response = flow.authorize(browser, base_url, params)
    assert response.headers["Location"].startswith("/sandbox/auth/login/")
