"""Hostile-input battery, egress: an EHR that sends smartapp's requests elsewhere (issue 11, #1).

Two registered fake EHRs on loopback, on the same host and different ports (the finding: the allow-list
compared hosts only). EHR A tries to make the app talk to EHR B on A's behalf: a redirect of its
discovery document, endpoints of B listed in A's discovery, a redirect of its token endpoint or JWKS.
Each is refused before any request reaches B: B sees nothing. Redirects are never followed (core.http);
discovery endpoints must be on the registration's own origins (scheme, host and port).
"""

from pathlib import Path
from urllib.parse import urlencode

import pytest

from smartapp.core.http import EgressRefused, outgoing_session
from smartapp.ehr import configs
from tests.ehr.auth_fakes import Answer, FakeAuthServer, json_answer, smart_configuration
from tests.ehr.test_id_token import JWKS
from tests.security.battery import Watch, assert_clear_page
from tests.security.fake_registration import FakeRegistration

NOTHING = {}
DISCOVERY = "/fhir/.well-known/smart-configuration"
OTHER = """
name = "other"
vendor = "smart_launcher"
issuer = "{issuer}"
client_id = "other-client"

[scopes]
clinician = "launch openid fhirUser patient/Patient.rs"
"""


@pytest.fixture
def ehr_b(settings, hostile_ehr):
    """A second registered EHR, on 127.0.0.1 too (another port), serving its own good discovery."""
    server = FakeAuthServer()
    server.answers[DISCOVERY] = json_answer(smart_configuration(server))
    folder = Path(settings.LAUNCH_CONFIGS_DIR)
    (folder / "other.toml").write_text(OTHER.format(issuer=server.base_url))
    configs.all_configs.cache_clear()  # the registry reloads with "other" next to "fake" and "sandbox"
    yield server
    server.close()


def _begin(client, ehr: FakeRegistration):
    return client.get(f"/launch/?{urlencode({'iss': ehr.iss, 'launch': 'launch-1'})}")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_discovery_redirect_to_another_registered_ehr_is_refused(client, hostile_ehr, ehr_b, status):
    hostile_ehr.server.answers[DISCOVERY] = Answer(status, b"", headers={"Location": ehr_b.url(DISCOVERY)})
    watch = Watch()

    page = _begin(client, hostile_ehr)

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert ehr_b.seen == []
    assert watch.grown() == NOTHING
    watch.event("launch.begin", "bad_response")


ENDPOINTS = [
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "revocation_endpoint",
    "introspection_endpoint",
    "management_endpoint",
    "registration_endpoint",
    "issuer",
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_discovery_endpoint_of_another_registered_ehr_is_refused(client, hostile_ehr, ehr_b, name):
    foreign = ehr_b.base_url if name == "issuer" else ehr_b.url(f"/auth/{name}")
    document = smart_configuration(hostile_ehr.server, **{name: foreign})
    hostile_ehr.server.answers[DISCOVERY] = json_answer(document)
    watch = Watch()

    page = _begin(client, hostile_ehr)

    assert_clear_page(page, 400, "Sign-in could not be completed")
    assert ehr_b.seen == []
    assert watch.grown() == NOTHING
    watch.event("launch.begin", "discovery_foreign_endpoint")


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_token_endpoint_redirect_never_carries_the_code_to_another_ehr(client, hostile_ehr, ehr_b, status):
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(Answer(status, b"", headers={"Location": ehr_b.url("/auth/token")}))
    watch = Watch()

    page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert ehr_b.seen == []  # neither the code nor the verifier went there
    assert not watch.grown().keys() & {"launch", "grant", "user"}


def test_a_jwks_redirect_is_not_followed(client, hostile_ehr, ehr_b):
    ehr_b.answers[JWKS] = hostile_ehr.server.answers[JWKS]
    hostile_ehr.server.answers[JWKS] = Answer(302, b"", headers={"Location": ehr_b.url(JWKS)})
    auth = hostile_ehr.begin(client)
    hostile_ehr.answer_token(json_answer(hostile_ehr.token_body(auth)))

    page = hostile_ehr.callback(client, auth)

    assert_clear_page(page, 401, "Sign-in could not be verified")
    assert ehr_b.seen == []


def test_each_ehr_still_launches_on_its_own_origins(client, hostile_ehr, ehr_b):
    assert _begin(client, hostile_ehr)["Location"].startswith(hostile_ehr.server.url("/auth/authorize"))
    other = client.get(f"/launch/?{urlencode({'iss': ehr_b.base_url, 'launch': 'l-2'})}")
    assert other["Location"].startswith(ehr_b.url("/auth/authorize"))


# -- the egress guard itself: origins, not hosts; no redirect followed ------------------------------------
@pytest.fixture
def two_servers():
    a, b = FakeAuthServer(), FakeAuthServer()
    yield a, b
    a.close()
    b.close()


def test_the_egress_guard_compares_the_port(two_servers):
    a, b = two_servers
    a.answers["/x"] = json_answer({})
    session = outgoing_session([a.origin])

    assert session.get(a.url("/x")).status_code == 200
    with pytest.raises(EgressRefused):
        session.get(b.url("/x"))
    assert b.seen == []


@pytest.mark.parametrize("entry", ["https://127.0.0.1:{port}", "http://127.0.0.2:{port}", "http://127.0.0.1"])
def test_the_egress_guard_compares_scheme_host_and_port(two_servers, entry):
    a, _ = two_servers
    session = outgoing_session([entry.format(port=a._server.server_port)])

    with pytest.raises(EgressRefused):
        session.get(a.url("/x"))
    assert a.seen == []


def test_the_egress_guard_never_follows_a_redirect_even_when_asked(two_servers):
    a, b = two_servers
    a.answers["/x"] = Answer(302, b"", headers={"Location": b.url("/y")})
    session = outgoing_session([a.origin, b.origin])

    answer = session.get(a.url("/x"), allow_redirects=True)

    assert answer.status_code == 302 and answer.history == []
    assert b.seen == []
