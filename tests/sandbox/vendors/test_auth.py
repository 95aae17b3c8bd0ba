"""Each vendor's authorization server: tokens bound to its base, Epic's absolute fhirUser, Oracle's separate
authorization host and refresh without rotation, athena's unadvertised PKCE, MEDITECH's missing
client_credentials, and clients registered for one vendor only."""

from io import StringIO
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.core.management import call_command

from smartapp.sandbox.models import ClientProfile
from tests.sandbox.auth import flow
from tests.sandbox.vendors import vendor_flow

V1_EHR_SCOPE = "launch openid fhirUser offline_access user/*.read"


@pytest.fixture
def browser(live_server, practitioner, patients):
    with flow.signed_in_session(live_server.url, practitioner) as session:
        yield session


def _claims(token: dict) -> dict:
    return jwt.decode(token["id_token"], options={"verify_signature": False})


def test_an_epic_launch_gets_an_absolute_fhir_user_and_a_token_for_epic_only(browser, base_of, practitioner):
    vendor_flow.register("epic")
    epic = base_of("epic")
    code, pkce = vendor_flow.ehr_code(browser, epic, flow.new_launch(practitioner), V1_EHR_SCOPE)

    token = vendor_flow.exchange(epic, code, pkce.verifier).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    assert _claims(token)["fhirUser"] == f"{epic}/Practitioner/pr-1"
    assert _claims(token)["iss"] == epic
    assert requests.get(f"{epic}/Patient/p-1", headers=headers, timeout=15).status_code == 200
    assert requests.get(f"{base_of('')}/Patient/p-1", headers=headers, timeout=15).status_code == 401


def test_athena_and_meditech_issue_a_relative_fhir_user(browser, base_of, practitioner):
    vendor_flow.register("athena")
    athena = base_of("athena")
    code, pkce = vendor_flow.ehr_code(browser, athena, flow.new_launch(practitioner), V1_EHR_SCOPE)

    assert (
        _claims(vendor_flow.exchange(athena, code, pkce.verifier).json())["fhirUser"] == "Practitioner/pr-1"
    )


def test_a_vendor_authorization_wants_that_vendors_base_as_aud(browser, base_of, practitioner):
    vendor_flow.register("epic")
    pkce = flow.Pkce.new()
    params = flow.authorize_params(
        base_of(""), pkce, client_id=vendor_flow.CLIENT_ID, launch=flow.new_launch(practitioner).launch
    )

    response = vendor_flow.authorize(
        browser, vendor_flow.discover(base_of("epic"))["authorization_endpoint"], params
    )

    assert flow.redirect_query(response)["error"] == "invalid_request"


def test_a_client_registered_for_a_vendor_is_unknown_elsewhere(browser, base_of, live_server, practitioner):
    vendor_flow.register("epic")
    pkce = flow.Pkce.new()
    params = flow.authorize_params(
        base_of(""), pkce, client_id=vendor_flow.CLIENT_ID, launch=flow.new_launch(practitioner).launch
    )

    response = vendor_flow.authorize(browser, f"{live_server.url}/sandbox/auth/authorize/", params)

    assert response.status_code == 400  # an error page: an unknown client is never redirected to
    assert "Location" not in response.headers


def test_oracle_authorizes_on_its_own_host_and_keeps_the_refresh_token(base_of, practitioner, patients):
    vendor_flow.register("oracle")
    oracle = base_of("oracle")
    endpoints = vendor_flow.discover(oracle)
    fhir_host, auth_host = urlsplit(oracle).hostname, urlsplit(endpoints["authorization_endpoint"]).hostname
    with requests.Session() as elsewhere:  # nobody is signed in on the authorization host
        code, pkce = vendor_flow.ehr_code(elsewhere, oracle, flow.new_launch(practitioner), V1_EHR_SCOPE)
    token = vendor_flow.exchange(oracle, code, pkce.verifier).json()

    first = vendor_flow.refresh(oracle, token["refresh_token"])
    again = vendor_flow.refresh(oracle, token["refresh_token"])
    headers = {"Authorization": f"Bearer {again.json()['access_token']}"}

    assert {fhir_host, auth_host} == {"127.0.0.1", "localhost"}
    assert "/sandbox/oracle/tenants/" in endpoints["token_endpoint"]
    assert first.status_code == again.status_code == 200
    assert "refresh_token" not in first.json() and "refresh_token" not in again.json()
    assert requests.get(f"{oracle}/Patient/p-1", headers=headers, timeout=15).status_code == 200
    assert _claims(token)["fhirUser"] == f"{oracle}/Practitioner/pr-1"


def test_athena_requires_pkce_without_advertising_it(browser, base_of, practitioner):
    vendor_flow.register("athena")
    athena = base_of("athena")
    launch = flow.new_launch(practitioner)
    endpoints = vendor_flow.discover(athena)

    without = vendor_flow.authorize(
        browser,
        endpoints["authorization_endpoint"],
        {
            **flow.authorize_params(
                athena,
                flow.Pkce.new(),
                client_id=vendor_flow.CLIENT_ID,
                scope=V1_EHR_SCOPE,
                launch=launch.launch,
            ),
            "code_challenge": None,
            "code_challenge_method": None,
        },
    )
    code, pkce = vendor_flow.ehr_code(browser, athena, flow.new_launch(practitioner), V1_EHR_SCOPE)

    assert "code_challenge_methods_supported" not in endpoints
    assert "code_challenge_methods_supported" in vendor_flow.discover(base_of(""))
    assert flow.redirect_query(without)["error"] == "invalid_request"
    assert vendor_flow.exchange(athena, code, pkce.verifier).status_code == 200


def test_meditech_offers_no_client_credentials(base_of, db):
    endpoints = vendor_flow.discover(base_of("meditech"))

    response = requests.post(
        endpoints["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "system/*.read"},
        timeout=15,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert "client_credentials" not in endpoints["grant_types_supported"]
    assert "permission-v2" not in endpoints["capabilities"]
    assert "client_credentials" in vendor_flow.discover(base_of(""))["grant_types_supported"]


def test_the_command_registers_a_client_for_a_vendor(db):
    output = StringIO()

    call_command(
        "sandbox_client",
        "register",
        "--client-id",
        "epic-app",
        "--redirect-uri",
        flow.REDIRECT_URI,
        "--vendor",
        "epic",
        stdout=output,
    )
    call_command("sandbox_client", "list", stdout=output)

    assert ClientProfile.objects.get(application__client_id="epic-app").vendor == "epic"
    assert "epic-app\tpublic\tauthorization-code\tno keys\tepic" in output.getvalue()


def test_an_oracle_standalone_launch_asks_who_signs_in_on_the_authorization_host(
    base_of, practitioner, patients
):
    vendor_flow.register("oracle")
    oracle = base_of("oracle")
    pkce = flow.Pkce.new()
    params = flow.authorize_params(
        oracle, pkce, client_id=vendor_flow.CLIENT_ID, scope="openid fhirUser user/*.read"
    )
    with requests.Session() as browser:
        page = vendor_flow.authorize(browser, vendor_flow.discover(oracle)["authorization_endpoint"], params)
        answered = flow.choose_identity(browser, page, practitioner.pk)

    token = vendor_flow.exchange(oracle, flow.redirect_query(answered)["code"], pkce.verifier)

    assert flow.is_identity_page(page) and urlsplit(page.url).hostname == "localhost"
    assert token.status_code == 200
    assert _claims(token.json())["fhirUser"] == f"{oracle}/Practitioner/pr-1"
