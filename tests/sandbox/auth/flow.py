"""Driving the sandbox's authorization server over HTTP the way a SMART app and a browser do."""

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

REDIRECT_URI = "http://127.0.0.1:9/callback/"
CLIENT_ID = "test-app"


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> "Pkce":
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def signed_in_session(base_url: str, identity) -> requests.Session:
    """A browser session signed in to the sandbox as `identity`, through the sign-in page."""
    session = requests.Session()
    page = session.get(f"{base_url}/sandbox/auth/login/")
    assert page.status_code == 200
    response = session.post(
        f"{base_url}/sandbox/auth/login/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "identity": identity.pk},
        headers={"Referer": page.url},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    session.sandbox_identity = identity.pk  # who to answer a standalone launch's "who is signing in?" with
    return session


def authorize_params(fhir_base: str, pkce: Pkce, **overrides) -> dict:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid fhirUser launch/patient patient/*.rs",
        "state": "st-" + secrets.token_hex(4),
        "aud": fhir_base,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def authorize(session: requests.Session, base_url: str, params: dict) -> requests.Response:
    """GET the authorization endpoint. A standalone launch's "who is signing in?" page is answered with the
    user the session signed in as (`signed_in_session`), as the person at the browser would."""
    response = session.get(f"{base_url}/sandbox/auth/authorize/?{urlencode(params)}", allow_redirects=False)
    identity = getattr(session, "sandbox_identity", None)
    if identity is not None and is_identity_page(response):
        response = choose_identity(session, response, identity)
    return response


def is_identity_page(response: requests.Response) -> bool:
    return response.status_code == 200 and "Who is signing in" in response.text


def choose_identity(session: requests.Session, page: requests.Response, identity_pk) -> requests.Response:
    """Press "Sign in" next to the sandbox user `identity_pk` on the "who is signing in?" page."""
    return session.post(
        page.url,
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "identity": identity_pk},
        headers={"Referer": page.url},
        allow_redirects=False,
    )


def redirect_query(response: requests.Response) -> dict:
    """The query of the redirect back to the app, as {name: value}."""
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def choose_patient(
    session: requests.Session, picker: requests.Response, patient_id: str
) -> requests.Response:
    """Submit the patient picker page the way its form does."""
    action = re.search(r'<form class="card" id="choose-patient" method="post" action="([^"]+)"', picker.text)
    identity = re.search(r'name="identity" value="(\d+)"', picker.text)
    return session.post(
        requests.compat.urljoin(picker.url, action.group(1).replace("&amp;", "&")),
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "patient": patient_id,
            **({"identity": identity.group(1)} if identity else {}),
        },
        headers={"Referer": picker.url},
        allow_redirects=False,
    )


def exchange_code(base_url: str, code: str, verifier: str, **extra) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
        **extra,
    }
    return requests.post(f"{base_url}/sandbox/auth/token/", data=data)


def refresh(base_url: str, refresh_token: str, **headers) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID}
    return requests.post(f"{base_url}/sandbox/auth/token/", data=data, headers=headers)


def new_launch(identity, *, patient_id: str = "p-1", encounter_id: str = "e-1", **fields):
    """An EHR launch bound to `identity`'s user, as the launch simulator makes one."""
    from smartapp.sandbox.models import LaunchContext

    return LaunchContext.objects.create(
        launch=secrets.token_urlsafe(16),
        user=identity.user,
        patient_id=patient_id,
        encounter_id=encounter_id,
        app_url="http://127.0.0.1:9/launch/",
        **fields,
    )


def ehr_tokens(session, base_url: str, fhir_base: str, launch, scope: str) -> requests.Response:
    """Run a whole EHR launch (authorize, then the code exchange) and return the token response."""
    pkce = Pkce.new()
    params = authorize_params(fhir_base, pkce, scope=scope, launch=launch.launch)
    query = redirect_query(authorize(session, base_url, params))
    return exchange_code(base_url, query["code"], pkce.verifier)
