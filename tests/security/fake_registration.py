"""A hostile EHR the battery controls end to end: a registration of smartapp with a loopback fake EHR.

The fake (tests/ehr/auth_fakes.FakeAuthServer) serves discovery, the token endpoint, the JWKS and the FHIR
API with whatever a case needs: a token response without a patient, an id_token signed with `alg: none`,
a Patient served as HTML. The browser is Django's test client, so the app runs in the test's thread and
only the fake listens on a socket (127.0.0.1). The keys and id_token helpers are those of
tests/ehr/test_id_token.py. The built-in sandbox registration stays enabled next to it (mix-up cases).
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from tests.ehr.auth_fakes import Answer, FakeAuthServer, json_answer, smart_configuration
from tests.ehr.test_id_token import CLIENT_ID, JWKS, RSA_KEY, claims_for, public_jwk, sign

NAME = "fake"
PATIENT = "p-1"
PRACTITIONER = "Practitioner/pr-1"
ASKED = (
    "launch openid fhirUser online_access patient/Patient.rs patient/AllergyIntolerance.rs "
    "patient/MedicationRequest.rs patient/MedicationStatement.rs patient/Medication.rs "
    "patient/DocumentReference.rs patient/Binary.rs patient/Practitioner.rs patient/PractitionerRole.rs"
)
REGISTRATION = """
name = "fake"
title = "A hostile EHR"
vendor = "smart_launcher"
issuer = "{issuer}"
client_id = "{client_id}"
client_auth = "public"
scope_grammar = "v2"

[scopes]
clinician = "{scope}"
"""


class ByPath(dict):
    """Answers by the whole path (with its query) first, then by the path alone."""

    def get(self, path, default=None):
        return super().get(path) or super().get(path.split("?")[0], default)


def fhir(resource, status: int = 200) -> Answer:
    return Answer(status, json.dumps(resource).encode(), content_type="application/fhir+json")


def searchset(*resources) -> dict:
    entries = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def patient(**elements) -> dict:
    return {
        "resourceType": "Patient",
        "id": PATIENT,
        "name": [{"use": "official", "family": "Battery", "given": ["Test"]}],
        "gender": "female",
        "birthDate": "1970-01-01",
        **elements,
    }


@dataclass
class Authorization:
    """What the app put in its authorization request (the redirect to the fake EHR)."""

    state: str
    nonce: str
    scope: str
    params: dict


class FakeRegistration:
    """The fake EHR, its registration, and the steps of a launch from it."""

    def __init__(self, server: FakeAuthServer):
        self.server = server
        self.iss = server.base_url
        server.answers = ByPath()
        server.answers["/fhir/.well-known/smart-configuration"] = json_answer(smart_configuration(server))
        server.answers[JWKS] = json_answer({"keys": [public_jwk(RSA_KEY, "k1", "RS256")]})
        self.fhir_defaults()

    # -- the EHR's answers ------------------------------------------------------------------------------
    def fhir_defaults(self) -> None:
        """A Patient and empty searches: a launch that ends in a complete, empty chart."""
        self.server.answers[f"/fhir/Patient/{PATIENT}"] = fhir(patient())
        for resource_type in ("AllergyIntolerance", "MedicationRequest", "MedicationStatement"):
            self.server.answers[f"/fhir/{resource_type}"] = fhir(searchset())
        self.server.answers["/fhir/DocumentReference"] = fhir(searchset())

    def id_token(self, auth: Authorization, *, key=RSA_KEY, alg="RS256", headers=None, **claims) -> str:
        defaults = {"nonce": auth.nonce, "fhirUser": f"{self.iss}/{PRACTITIONER}"}
        return sign(claims_for(self.server, **{**defaults, **claims}), key=key, alg=alg, **(headers or {}))

    def token_body(self, auth: Authorization, **overrides) -> dict:
        """A valid token response for `auth`; an override of None leaves the field out."""
        body = {
            "access_token": "fake-access-token",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": auth.scope,
            "refresh_token": "fake-refresh-token",
            "patient": PATIENT,
            "need_patient_banner": True,
            "id_token": self.id_token(auth),
            **overrides,
        }
        return {name: value for name, value in body.items() if value is not None}

    def answer_token(self, answer) -> None:
        self.server.answers["/auth/token"] = answer

    def token_requests(self) -> int:
        return sum(seen.path == "/auth/token" for seen in self.server.seen)

    def fhir_requests(self) -> list[str]:
        paths = [seen.path for seen in self.server.seen]
        return [path for path in paths if path.startswith("/fhir/") and ".well-known" not in path]

    # -- the browser's steps ----------------------------------------------------------------------------
    def begin(self, browser: Client, launch: str = "launch-1") -> Authorization:
        """GET /launch/?iss=...&launch=...: the app's redirect to the fake's authorize endpoint."""
        response = browser.get("/launch/", {"iss": self.iss, "launch": launch})
        assert response.status_code == 302, response.content[:300]
        location = response["Location"]
        assert location.startswith(self.server.url("/auth/authorize")), location
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return Authorization(params["state"], params.get("nonce", ""), params["scope"], params)

    def callback(self, browser: Client, auth: Authorization | None = None, *, config: str = NAME, **query):
        """The EHR's redirect back to /callback/<config>/ (code and state unless `query` says otherwise)."""
        values = {"code": "code-1", **({"state": auth.state} if auth else {}), **query}
        values = {k: v for k, v in values.items() if v is not None}
        return browser.get(f"/callback/{config}/?{urlencode(values)}")

    def launch(self, browser: Client, **token_overrides):
        """A whole launch; the callback's response (a redirect to the chart when all went well)."""
        auth = self.begin(browser)
        self.answer_token(json_answer(self.token_body(auth, **token_overrides)))
        return self.callback(browser, auth)


def install(settings, server: FakeAuthServer, tmp_path: Path, scope: str = ASKED) -> FakeRegistration:
    """Register smartapp with `server` next to the sandbox registration (`settings`: pytest-django's
    fixture, which restores the registry after the test) and return the registration."""
    text = REGISTRATION.format(issuer=server.base_url, client_id=CLIENT_ID, scope=scope)
    (tmp_path / "fake.toml").write_text(text)
    shutil.copy(Path(settings.BASE_DIR) / "launch_configs" / "sandbox.toml", tmp_path / "sandbox.toml")
    settings.LAUNCH_CONFIGS_DIR = tmp_path  # the registry listens to setting_changed and reloads
    return FakeRegistration(server)
