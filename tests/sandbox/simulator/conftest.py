"""A small sandbox directory: a practitioner, a coordinator, two patients with one encounter each."""

import re

import pytest
import requests
from django.contrib.auth import get_user_model

from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import SandboxIdentity
from smartapp.sandbox.store import save_resource

APP = "http://127.0.0.1:9/launch/"
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def _patient(fhir_id, given, family, birth_date, mrn):
    return {
        "resourceType": "Patient",
        "id": fhir_id,
        "name": [{"use": "official", "given": [given], "family": family}],
        "birthDate": birth_date,
        "identifier": [{"type": MRN_TYPE, "system": "urn:sandbox:mrn", "value": mrn}],
    }


def _encounter(fhir_id, patient_id, start, kind):
    return {
        "resourceType": "Encounter",
        "id": fhir_id,
        "status": "finished",
        "class": {"code": "AMB", "display": "ambulatory"},
        "type": [{"text": kind}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": start},
    }


def _identity(username, fhir_user, role):
    user = get_user_model().objects.create_user(username=username)
    return SandboxIdentity.objects.create(user=user, fhir_user=fhir_user, role=role)


@pytest.fixture
def directory(transactional_db):
    """Seeded sandbox rows; returns the identities by short name."""
    ada = [{"given": ["Ada"], "family": "Osler"}]
    save_resource({"resourceType": "Practitioner", "id": "pr-1", "name": ada})
    save_resource({"resourceType": "Practitioner", "id": "co-1", "name": [{"text": "Casey Coordinator"}]})
    save_resource(_patient("pt-1", "Jane", "Sample", "1970-05-01", "MRN-0001"))
    save_resource(_patient("pt-2", "John", "Example", "1988-11-23", "MRN-0002"))
    save_resource(_encounter("enc-1", "pt-1", "2024-03-01T09:00:00Z", "Office visit"))
    save_resource(_encounter("enc-2", "pt-2", "2024-04-02T10:00:00Z", "Telephone follow-up"))
    return {
        "practitioner": _identity("ada", "Practitioner/pr-1", SandboxIdentity.Role.PRACTITIONER),
        "coordinator": _identity("casey", "Practitioner/co-1", SandboxIdentity.Role.COORDINATOR),
        "patient": _identity("jane", "Patient/pt-1", SandboxIdentity.Role.PATIENT),
    }


@pytest.fixture
def sandbox_url(live_server):
    return f"{live_server.url}/sandbox/"


@pytest.fixture
def browser(sandbox_url):
    """A requests session that has loaded the simulator page, with its forms' token at hand."""
    session = requests.Session()
    page = session.get(sandbox_url, timeout=10)
    session.form_token = re.search(r'name="sandbox_form_token" value="([^"]+)"', page.text).group(1)
    return session


@pytest.fixture
def registered_app(transactional_db):
    """A client registered with the launch URL the simulator tests open (only registered URLs are)."""
    return clients.register("sim-app", redirect_uris=["http://127.0.0.1:9/callback/"], launch_url=APP)
