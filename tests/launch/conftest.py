"""A browser, the app and the sandbox EHR on one live server: the app reaches the sandbox only over HTTP."""

import re
from urllib.parse import urlencode

import pytest
import requests

from smartapp.sandbox.models import SandboxIdentity
from smartapp.sandbox.synthetic import catalog

CLINICIAN = catalog.PRACTITIONER_IDS[0]
COORDINATOR = catalog.COORDINATOR_ID


@pytest.fixture
def browser(app_url):
    # Closed before the live server's teardown, so no request thread outlives the test's database.
    with requests.Session() as session:
        yield session


def ehr_launch(browser, app_url, patient_id, *, user=CLINICIAN, headers=None) -> requests.Response:
    """Launch smartapp from the sandbox simulator's one-step URL and follow every redirect."""
    query = urlencode({"user": user, "patient": patient_id, "app": f"{app_url}/launch/"})
    return browser.get(f"{app_url}/sandbox/launch/?{query}", headers=headers or {})


def callback_from_ehr(browser, app_url, patient_id=catalog.TYPICAL_PATIENT_ID) -> str:
    """Run an EHR launch up to the EHR's redirect to smartapp's callback; that callback URL, not visited."""
    query = urlencode({"user": CLINICIAN, "patient": patient_id, "app": f"{app_url}/launch/"})
    response = browser.get(f"{app_url}/sandbox/launch/?{query}", allow_redirects=False)
    while "/callback/" not in response.headers.get("Location", ""):
        response = browser.get(response.headers["Location"], allow_redirects=False)
    return response.headers["Location"]


def sandbox_sign_in(browser, app_url, fhir_user: str) -> None:
    """Sign the browser in to the sandbox (not to the app) as the sandbox user `fhir_user`; a later
    `standalone_launch` answers the sandbox's "who is signing in?" with that user too."""
    identity = SandboxIdentity.objects.get(fhir_user=fhir_user)
    page = browser.get(f"{app_url}/sandbox/auth/login/")
    response = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "identity": identity.pk},
        headers={"Referer": page.url},
        allow_redirects=False,
    )
    assert response.status_code == 302
    browser.sandbox_user = fhir_user


def standalone_launch(browser, app_url, persona: str, *, as_user: str = "", **kwargs) -> requests.Response:
    """Press a sign-in button on the app's home page, follow the EHR's redirects, and answer the sandbox's
    "who is signing in?" as `as_user` (default: the user of the last `sandbox_sign_in`), if anyone."""
    home = browser.get(f"{app_url}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text).group(1)
    page = browser.post(
        f"{app_url}/launch/sandbox/",
        data={"csrfmiddlewaretoken": token, "as": persona},
        headers={"Referer": f"{app_url}/"},
    )
    fhir_user = as_user or getattr(browser, "sandbox_user", "")
    if not fhir_user or "/sandbox/auth/authorize/" not in page.url:
        return page
    return sandbox_choose(browser, page, fhir_user, **kwargs)


def sandbox_choose(browser, page: requests.Response, fhir_user: str, **kwargs) -> requests.Response:
    """Press "Sign in" next to `fhir_user` on the sandbox's "who is signing in?" page `page`."""
    identity = SandboxIdentity.objects.get(fhir_user=fhir_user)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        page.url,
        data={"csrfmiddlewaretoken": token, "identity": identity.pk},
        headers={"Referer": page.url},
        **kwargs,
    )


def launch_id_of(response: requests.Response) -> str:
    match = re.search(r"/(?:chart|me)/([0-9a-f-]{36})/", response.url)
    assert match, response.url
    return match.group(1)
