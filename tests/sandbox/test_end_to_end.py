"""The sandbox as an app meets it: seeded data, an EHR launch from the simulator's one-step URL, discovery,
authorization with PKCE, the code exchange, then FHIR reads with the token. Everything over HTTP."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog, load_all

APP = "http://127.0.0.1:9"
REDIRECT_URI = f"{APP}/callback/sandbox/"
SCOPE = "launch openid fhirUser patient/*.rs"


@pytest.fixture
def seeded(transactional_db):
    load_all()
    clients.register_default_app([APP])


def _query(url: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _ehr_launch(base: str, patient_id: str) -> tuple[requests.Session, dict]:
    """Launch as the simulator does, then authorize and exchange the code as the app does."""
    browser = requests.Session()
    practitioner = catalog.PRACTITIONER_IDS[0]
    launch = browser.get(
        f"{base}/sandbox/launch/?"
        + urlencode({"user": practitioner, "patient": patient_id, "app": f"{APP}/launch/"}),
        allow_redirects=False,
    )
    assert launch.status_code == 302
    launch_params = _query(launch.headers["Location"])
    iss = launch_params["iss"]

    config = requests.get(f"{iss}/.well-known/smart-configuration").json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    authorize = browser.get(
        config["authorization_endpoint"],
        params={
            "response_type": "code", "client_id": "smartapp", "redirect_uri": REDIRECT_URI, "scope": SCOPE,
            "state": state, "aud": iss, "launch": launch_params["launch"],
            "code_challenge": challenge, "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )  # fmt: skip
    callback = _query(authorize.headers["Location"])
    assert callback["state"] == state
    token = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code", "code": callback["code"], "redirect_uri": REDIRECT_URI,
            "client_id": "smartapp", "code_verifier": verifier,
        },
    )  # fmt: skip
    assert token.status_code == 200, token.text
    return browser, {**token.json(), "iss": iss, "config": config}


def _fhir(iss: str, token: str, path: str, **params) -> requests.Response:
    return requests.get(
        f"{iss}/{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
    )


def test_an_ehr_launch_reads_the_patient_in_context(live_server, seeded):
    _, token = _ehr_launch(live_server.url, catalog.TYPICAL_PATIENT_ID)
    assert token["patient"] == catalog.TYPICAL_PATIENT_ID

    keys = jwt.PyJWKClient(token["config"]["jwks_uri"])  # loopback only: the live server
    claims = jwt.decode(
        token["id_token"],
        keys.get_signing_key_from_jwt(token["id_token"]).key,
        algorithms=["RS256"],
        audience="smartapp",
        issuer=token["iss"],
    )
    assert claims["fhirUser"] == f"{token['iss']}/Practitioner/{catalog.PRACTITIONER_IDS[0]}"

    patient = _fhir(token["iss"], token["access_token"], f"Patient/{catalog.TYPICAL_PATIENT_ID}")
    assert patient.status_code == 200
    assert patient.json()["id"] == catalog.TYPICAL_PATIENT_ID
    other = _fhir(token["iss"], token["access_token"], f"Patient/{catalog.LARGE_PATIENT_ID}")
    assert other.status_code == 403


def test_the_large_patient_pages_to_the_end_with_medications_included(live_server, seeded):
    _, token = _ehr_launch(live_server.url, catalog.LARGE_PATIENT_ID)
    url = f"{token['iss']}/MedicationRequest?" + urlencode(
        {"patient": catalog.LARGE_PATIENT_ID, "_count": 100, "_include": "MedicationRequest:medication"}
    )
    matches, included, pages = [], set(), 0
    while url:
        bundle = requests.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        pages += 1
        for entry in bundle.get("entry", []):
            if entry["search"]["mode"] == "match":
                matches.append(entry["resource"]["id"])
            else:
                included.add(entry["resource"]["resourceType"])
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)

    stored = Resource.objects.filter(resource_type="MedicationRequest", patient_id=catalog.LARGE_PATIENT_ID)
    assert len(matches) == len(set(matches)) == stored.count() >= catalog.LARGE_PATIENT_MEDICATION_REQUESTS
    assert pages == -(-stored.count() // 100)
    assert included == {"Medication"}


def test_a_specialist_note_binary_comes_back_in_its_own_content_type(live_server, seeded):
    _, token = _ehr_launch(live_server.url, catalog.NOTES_SCENARIO_PATIENT_ID)
    note = _fhir(token["iss"], token["access_token"], f"DocumentReference/{catalog.PDF_NOTE_ID}").json()
    binary_url = note["content"][0]["attachment"]["url"]
    pdf = requests.get(
        f"{token['iss']}/{binary_url}", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF-")
