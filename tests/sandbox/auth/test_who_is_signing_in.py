"""A standalone launch asks who is signing in, every time; an EHR launch does not (issue 11, item 14)."""

import jwt
import pytest

from smartapp.sandbox.models import LaunchContext
from tests.sandbox.auth import flow

PATIENT_SCOPE = "openid fhirUser launch/patient patient/*.rs"
USER_SCOPE = "openid fhirUser user/*.rs"


def _ask(session, base_url, fhir_base, pkce, scope=PATIENT_SCOPE):
    """The standalone authorize request, without answering the sandbox's question."""
    url = f"{base_url}/sandbox/auth/authorize/"
    params = flow.authorize_params(fhir_base, pkce, scope=scope)
    return session.get(url, params=params, allow_redirects=False), params


def _fhir_user(base_url, code, verifier) -> str:
    id_token = flow.exchange_code(base_url, code, verifier).json()["id_token"]
    return jwt.decode(id_token, options={"verify_signature": False})["fhirUser"]


@pytest.mark.parametrize("scope", [PATIENT_SCOPE, USER_SCOPE])
def test_a_standalone_launch_asks_even_a_signed_in_browser_who_is_signing_in(
    browser, base_url, fhir_base, pkce, scope
):
    page, _ = _ask(browser, base_url, fhir_base, pkce, scope)

    assert page.status_code == 200
    assert flow.is_identity_page(page)
    assert "Practitioner/pr-1" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_patient_chosen_after_a_clinician_signed_in_gets_their_own_record(
    browser, base_url, fhir_base, pkce, patient_identity
):
    page, params = _ask(browser, base_url, fhir_base, pkce)  # the browser is signed in as Practitioner/pr-1

    query = flow.redirect_query(flow.choose_identity(browser, page, patient_identity.pk))

    assert query["state"] == params["state"]
    token = flow.exchange_code(base_url, query["code"], pkce.verifier).json()
    assert token["patient"] == "p-1"
    assert jwt.decode(token["id_token"], options={"verify_signature": False})["fhirUser"].endswith(
        "/Patient/p-1"
    )


def test_the_choice_is_not_remembered_for_the_next_standalone_launch(
    browser, base_url, fhir_base, patient_identity
):
    first, _ = _ask(browser, base_url, fhir_base, flow.Pkce.new())
    assert "code" in flow.redirect_query(flow.choose_identity(browser, first, patient_identity.pk))

    second, _ = _ask(browser, base_url, fhir_base, flow.Pkce.new(), USER_SCOPE)

    assert flow.is_identity_page(second)


def test_a_visitor_who_is_not_signed_in_is_asked_too(base_url, fhir_base, app, pkce, patient_identity):
    with flow.requests.Session() as anonymous:
        page, _ = _ask(anonymous, base_url, fhir_base, pkce)
        assert flow.is_identity_page(page)
        query = flow.redirect_query(flow.choose_identity(anonymous, page, patient_identity.pk))

    assert flow.exchange_code(base_url, query["code"], pkce.verifier).json()["patient"] == "p-1"


def test_a_practitioner_chosen_for_a_patient_launch_picks_the_patient_as_that_practitioner(
    browser, base_url, fhir_base, pkce, other_practitioner
):
    page, _ = _ask(browser, base_url, fhir_base, pkce)
    picker = flow.choose_identity(browser, page, other_practitioner.pk)
    assert "Choose a patient" in picker.text

    query = flow.redirect_query(flow.choose_patient(browser, picker, "p-2"))

    assert _fhir_user(base_url, query["code"], pkce.verifier).endswith("/Practitioner/pr-2")


def test_the_picker_search_keeps_the_chosen_user_and_the_name_out_of_the_url(
    browser, base_url, fhir_base, pkce, other_practitioner
):
    page, _ = _ask(browser, base_url, fhir_base, pkce)
    picker = flow.choose_identity(browser, page, other_practitioner.pk)
    data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"], "identity": other_practitioner.pk}

    found = browser.post(page.url, data={**data, "patient_search": "brow"}, headers={"Referer": page.url})

    assert found.url == picker.url == page.url
    assert "Bob Brown" in found.text and "Alice Anders" not in found.text
    query = flow.redirect_query(flow.choose_patient(browser, found, "p-2"))
    assert _fhir_user(base_url, query["code"], pkce.verifier).endswith("/Practitioner/pr-2")


@pytest.mark.parametrize("identity", ["", "0", "999999", "pr-1", "1 OR 1=1"])
def test_no_code_is_issued_without_a_real_choice(browser, base_url, fhir_base, pkce, identity):
    page, _ = _ask(browser, base_url, fhir_base, pkce)

    response = flow.choose_identity(browser, page, identity)

    assert response.status_code == 200
    assert flow.is_identity_page(response)


def test_patients_are_listed_first_when_the_app_asks_for_a_patient(
    browser, base_url, fhir_base, pkce, patient_identity
):
    page, _ = _ask(browser, base_url, fhir_base, pkce)

    assert page.text.index("Patient</h2>") < page.text.index("Practitioner</h2>")
    assert "asks for a patient's record" in page.text


def test_an_ehr_launch_acts_for_the_user_the_simulator_signed_in_where_a_standalone_one_asks(
    browser, base_url, fhir_base, pkce, practitioner
):
    launch = flow.new_launch(practitioner)
    scope = "launch openid fhirUser patient/*.rs"
    params = flow.authorize_params(fhir_base, pkce, scope=scope, launch=launch.launch)

    query = flow.redirect_query(flow.authorize(browser, base_url, params))
    standalone, _ = _ask(browser, base_url, fhir_base, flow.Pkce.new())

    assert _fhir_user(base_url, query["code"], pkce.verifier).endswith("/Practitioner/pr-1")
    assert LaunchContext.objects.get(pk=launch.pk).used_at is not None
    assert flow.is_identity_page(standalone)


def test_an_ehr_launch_cannot_be_answered_as_someone_else(
    browser, base_url, fhir_base, pkce, practitioner, patient_identity
):
    launch = flow.new_launch(practitioner)
    params = flow.authorize_params(
        fhir_base, pkce, scope="launch openid fhirUser patient/*.rs", launch=launch.launch
    )
    url = f"{base_url}/sandbox/auth/authorize/?{flow.urlencode(params)}"
    data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"], "identity": patient_identity.pk}

    query = flow.redirect_query(browser.post(url, data=data, headers={"Referer": url}, allow_redirects=False))
    standalone, _ = _ask(browser, base_url, fhir_base, flow.Pkce.new())

    assert _fhir_user(base_url, query["code"], pkce.verifier).endswith("/Practitioner/pr-1")
    assert flow.is_identity_page(standalone)  # where a chosen user does count
