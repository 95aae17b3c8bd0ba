"""A person in a browser: launched from the vendor's EHR, or signing in to smartapp at the vendor's EHR."""

import re
from urllib.parse import urlencode

import requests

from smartapp.sandbox.models import SandboxIdentity
from smartapp.sandbox.synthetic import catalog
from tests.matrix.registrations import TENANT, Registration

CLINICIAN = f"{catalog.PRACTITIONER_IDS[0]}"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def ehr_launch(browser, registration: Registration, patient_id: str, *, user: str = CLINICIAN):
    """Launch smartapp from the sandbox simulator's one-step URL under the vendor (docs/sandbox.md, "Vendor
    emulation": `vendor` and, for Oracle, `tenant`), following every redirect."""
    query = {"user": user, "patient": patient_id, "app": f"{registration.origin}/launch/"}
    if registration.sandbox_vendor:
        query["vendor"] = registration.sandbox_vendor
    if registration.vendor == "oracle":
        query["tenant"] = TENANT
    return browser.get(f"{registration.origin}/sandbox/launch/?{urlencode(query)}")


def standalone_launch(browser, registration: Registration, persona: str, fhir_user: str) -> requests.Response:
    """Press the registration's sign-in button on smartapp's home page, then answer the vendor EHR's "who is
    signing in?" as `fhir_user` (the browser is signed in to no sandbox host yet)."""
    home = browser.get(f"{registration.origin}/")
    page = browser.post(
        f"{registration.origin}/launch/{registration.name}/",
        data={"csrfmiddlewaretoken": _CSRF.search(home.text).group(1), "as": persona},
        headers={"Referer": f"{registration.origin}/"},
    )
    if 'name="identity"' not in page.text:
        return page  # no chooser: refused before it, or already signed in
    identity = SandboxIdentity.objects.get(fhir_user=fhir_user)
    return browser.post(
        page.url,
        data={"csrfmiddlewaretoken": _CSRF.search(page.text).group(1), "identity": identity.pk},
        headers={"Referer": page.url},
    )


def launch_id_of(response: requests.Response) -> str:
    match = re.search(r"/(?:chart|me)/([0-9a-f-]{36})/", response.url)
    assert match, f"not a chart or patient view: {response.status_code} {response.url.split('?')[0]}"
    return match.group(1)
