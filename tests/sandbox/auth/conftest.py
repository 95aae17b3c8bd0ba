import pytest
from django.contrib.auth import get_user_model

from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import SandboxIdentity
from smartapp.sandbox.store import save_resource
from tests.sandbox.auth import flow


def _identity(username: str, fhir_user: str, role: str) -> SandboxIdentity:
    user = get_user_model().objects.create_user(username=username)
    return SandboxIdentity.objects.create(user=user, fhir_user=fhir_user, role=role)


@pytest.fixture
def patients(transactional_db):
    for fhir_id, given, family in [("p-1", "Alice", "Anders"), ("p-2", "Bob", "Brown")]:
        save_resource(
            {"resourceType": "Patient", "id": fhir_id, "name": [{"given": [given], "family": family}]}
        )


@pytest.fixture
def practitioner(transactional_db):
    return _identity("dr-who", "Practitioner/pr-1", SandboxIdentity.Role.PRACTITIONER)


@pytest.fixture
def other_practitioner(transactional_db):
    return _identity("dr-no", "Practitioner/pr-2", SandboxIdentity.Role.PRACTITIONER)


@pytest.fixture
def patient_identity(transactional_db, patients):
    return _identity("alice", "Patient/p-1", SandboxIdentity.Role.PATIENT)


@pytest.fixture
def app(transactional_db):
    """The public SMART app the tests act as."""
    return clients.register(flow.CLIENT_ID, redirect_uris=[flow.REDIRECT_URI]).application


@pytest.fixture
def base_url(live_server):
    return live_server.url


@pytest.fixture
def browser(base_url, practitioner, app, patients):
    """A browser signed in to the sandbox as a practitioner."""
    # Closed before the live server's teardown, so no request thread outlives the test's database.
    with flow.signed_in_session(base_url, practitioner) as session:
        yield session


@pytest.fixture
def pkce():
    return flow.Pkce.new()
