"""Every redirect the sandbox's sign-in and authorization make stays on a registered target (issue 11, 9)."""

import pytest

from smartapp.sandbox.models import LaunchContext
from tests.sandbox.auth import flow

SIGN_IN = "/sandbox/auth/login/"

OFF_SANDBOX_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "https://127.0.0.1:8000@evil.example/",
    "javascript:alert(1)",
    "%2F%2Fevil.example%2F",
    "/%2F%2Fevil.example/",
    "/launch/?iss=https://evil.example/fhir",  # this host, but outside the sandbox
    "/sandbox",
    "sandbox/auth/authorize/",
    " /sandbox/auth/authorize/",
]


def _sign_in(base_url, identity, next_url):
    with flow.requests.Session() as session:
        page = session.get(f"{base_url}{SIGN_IN}")
        return session.post(
            page.url,
            data={
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "identity": identity.pk,
                "next": next_url,
            },
            headers={"Referer": page.url},
            allow_redirects=False,
        )


@pytest.mark.parametrize("next_url", OFF_SANDBOX_NEXT)
def test_sign_in_never_follows_next_out_of_the_sandbox(base_url, practitioner, next_url):
    response = _sign_in(base_url, practitioner, next_url)

    assert response.status_code == 302
    assert response.headers["Location"] == SIGN_IN


def test_sign_in_follows_only_a_path_inside_the_sandbox_not_even_an_absolute_url_to_this_host(
    base_url, practitioner
):
    next_url = "/sandbox/auth/authorize/?client_id=test-app&state=s-1"

    absolute = _sign_in(base_url, practitioner, f"{base_url}{next_url}")
    path = _sign_in(base_url, practitioner, next_url)

    assert absolute.headers["Location"] == SIGN_IN
    assert path.headers["Location"] == next_url


OFF_REGISTRATION_REDIRECTS = [
    "https://evil.example/callback/",
    "https://127.0.0.1:9/callback/",  # another scheme
    "http://127.0.0.1:9@evil.example/callback/",  # userinfo
    "http://evil.example@127.0.0.1:9/callback/",
    "http://127.0.0.1:8000/callback/",  # another port
    "http://127.0.0.1/callback/",
    "http://127.0.0.1:9/callback/evil",  # path prefix
    "http://127.0.0.1:9/callback/../evil/",
    "http://127.0.0.1:9/callbackx/",
    "//evil.example/callback/",
    "http:\\\\evil.example\\callback/",  # backslashes
    "http://127.0.0.1:9\\@evil.example/callback/",
    "http://127.0.0.1:9/%63allback/",  # encoded characters
    "http%3A%2F%2Fevil.example%2Fcallback%2F",
    "javascript:alert(1)//127.0.0.1:9/callback/",
]


@pytest.mark.parametrize("redirect_uri", OFF_REGISTRATION_REDIRECTS)
def test_authorize_never_redirects_to_an_unregistered_redirect_uri(
    browser, base_url, fhir_base, practitioner, pkce, redirect_uri
):
    # django-oauth-toolkit's exact match (RFC 6749 §3.1.2.3; §4.1.2.1: an error page, never a redirect)
    launch = flow.new_launch(practitioner)
    params = flow.authorize_params(
        fhir_base, pkce, scope="launch patient/*.rs", launch=launch.launch, redirect_uri=redirect_uri
    )

    response = flow.authorize(browser, base_url, params)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert LaunchContext.objects.get(pk=launch.pk).used_at is None


@pytest.mark.parametrize("redirect_uri", OFF_REGISTRATION_REDIRECTS[:4])
def test_a_standalone_authorize_refuses_a_bad_redirect_uri_before_asking_who_signs_in(
    base_url, fhir_base, app, patients, pkce, redirect_uri
):
    params = flow.authorize_params(fhir_base, pkce, redirect_uri=redirect_uri)
    with flow.requests.Session() as anonymous:
        response = flow.authorize(anonymous, base_url, params)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Who is signing in" not in response.text
