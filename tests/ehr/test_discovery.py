"""SMART discovery: endpoints only from allow-listed hosts, S256 PKCE, typed errors, an hour's cache."""

import pytest

from smartapp.ehr import configs
from smartapp.ehr.discovery import discover
from smartapp.ehr.errors import EhrBadResponse, EhrUnavailable, LaunchRejected
from tests.ehr.auth_fakes import (
    Answer,
    clean_cache,  # noqa: F401 (fixture)
    fake_ehr,  # noqa: F401 (fixture)
    html_answer,
    json_answer,
    make_config,
    smart_configuration,
)

SMART_CONFIG = "/fhir/.well-known/smart-configuration"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def capability_statement(fake) -> dict:
    uris = [
        {"url": "authorize", "valueUri": fake.url("/oauth/authorize")},
        {"url": "token", "valueUri": fake.url("/oauth/token")},
    ]
    security = {"extension": [{"url": OAUTH_URIS, "extension": uris}]}
    return {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "security": security}]}


def test_it_reads_the_sandbox_smart_configuration(live_server, settings, clean_cache):  # noqa: F811
    settings.APP_ORIGIN = live_server.url
    iss = f"{live_server.url}/sandbox/fhir"

    endpoints = discover(configs.by_name("sandbox"), iss)

    assert endpoints.issuer == iss
    assert endpoints.authorization_endpoint == f"{live_server.url}/sandbox/auth/authorize/"
    assert endpoints.token_endpoint == f"{live_server.url}/sandbox/auth/token/"
    assert endpoints.revocation_endpoint == f"{live_server.url}/sandbox/auth/revoke/"
    assert endpoints.jwks_uri == f"{live_server.url}/sandbox/auth/jwks/"
    assert endpoints.oidc_issuer == iss
    assert "permission-v2" in endpoints.capabilities
    assert endpoints.code_challenge_methods == {"S256"}


def test_it_asks_for_json_and_answers_from_its_cache_the_second_time(fake_ehr):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = json_answer(smart_configuration(fake_ehr))
    config = make_config(fake_ehr.base_url)

    first = discover(config, fake_ehr.base_url)
    second = discover(config, fake_ehr.base_url + "/")  # the same issuer, canonically

    assert first == second
    assert [seen.path for seen in fake_ehr.seen] == [SMART_CONFIG]
    assert fake_ehr.seen[0].headers["Accept"] == "application/json"


def test_it_does_not_cache_a_failure(fake_ehr):  # noqa: F811
    config = make_config(fake_ehr.base_url)
    fake_ehr.answers[SMART_CONFIG] = json_answer({}, status=503)
    with pytest.raises(EhrUnavailable):
        discover(config, fake_ehr.base_url)

    fake_ehr.answers[SMART_CONFIG] = json_answer(smart_configuration(fake_ehr))
    assert discover(config, fake_ehr.base_url).token_endpoint == fake_ehr.url("/auth/token")


def test_it_falls_back_to_the_capability_statement_oauth_uris(fake_ehr):  # noqa: F811
    fake_ehr.answers["/fhir/metadata"] = Answer(
        200, json_answer(capability_statement(fake_ehr)).body, content_type="application/fhir+json"
    )

    endpoints = discover(make_config(fake_ehr.base_url), fake_ehr.base_url)

    assert endpoints.authorization_endpoint == fake_ehr.url("/oauth/authorize")
    assert endpoints.token_endpoint == fake_ehr.url("/oauth/token")
    assert endpoints.revocation_endpoint == ""
    assert endpoints.oidc_issuer == fake_ehr.base_url
    assert [seen.path for seen in fake_ehr.seen] == [SMART_CONFIG, "/fhir/metadata"]


def test_a_smart_configuration_in_html_falls_back_to_metadata(fake_ehr):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = html_answer()
    fake_ehr.answers["/fhir/metadata"] = json_answer(capability_statement(fake_ehr))

    assert discover(make_config(fake_ehr.base_url), fake_ehr.base_url).token_endpoint.endswith("/oauth/token")


def test_html_everywhere_is_a_bad_response(fake_ehr):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = html_answer()
    fake_ehr.answers["/fhir/metadata"] = html_answer()

    with pytest.raises(EhrBadResponse):
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"authorization_endpoint": 7}', b"{not json"])
def test_garbage_json_is_a_bad_response(fake_ehr, body):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = Answer(200, body)
    fake_ehr.answers["/fhir/metadata"] = Answer(200, body)

    with pytest.raises(EhrBadResponse):
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example/token",  # a host no registration names
        "http://127.0.0.2/token",  # a loopback address that is not allow-listed
        "ftp://127.0.0.1/token",
        "/auth/token",  # relative
    ],
)
def test_an_endpoint_off_the_allow_list_is_refused(fake_ehr, endpoint):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = json_answer(smart_configuration(fake_ehr, token_endpoint=endpoint))

    with pytest.raises(LaunchRejected) as refused:
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)
    assert refused.value.reason == "discovery_foreign_endpoint"


def test_a_server_offering_only_plain_pkce_is_refused(fake_ehr):  # noqa: F811
    document = smart_configuration(fake_ehr, code_challenge_methods_supported=["plain"])
    fake_ehr.answers[SMART_CONFIG] = json_answer(document)

    with pytest.raises(LaunchRejected) as refused:
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)
    assert refused.value.reason == "pkce_plain_only"


def test_a_server_that_does_not_advertise_pkce_is_accepted(fake_ehr):  # noqa: F811
    document = smart_configuration(fake_ehr)
    del document["code_challenge_methods_supported"]
    fake_ehr.answers[SMART_CONFIG] = json_answer(document)

    endpoints = discover(make_config(fake_ehr.base_url, vendor="athena"), fake_ehr.base_url)
    assert endpoints.code_challenge_methods == frozenset()


def test_a_503_is_unavailable_with_its_retry_after(fake_ehr):  # noqa: F811
    fake_ehr.answers[SMART_CONFIG] = json_answer({}, status=503, **{"Retry-After": "0"})

    with pytest.raises(EhrUnavailable):
        discover(make_config(fake_ehr.base_url), fake_ehr.base_url)


def test_a_refused_connection_is_unavailable(settings, clean_cache):  # noqa: F811
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    closed_port = "http://127.0.0.1:9/fhir"  # discard port: nothing listens

    with pytest.raises(EhrUnavailable):
        discover(make_config(closed_port), closed_port)


def test_an_unknown_issuer_is_refused_before_any_request(fake_ehr):  # noqa: F811
    with pytest.raises(LaunchRejected) as refused:
        discover(make_config(fake_ehr.base_url), "http://127.0.0.2/fhir")

    assert refused.value.reason == "unknown_iss"
    assert fake_ehr.seen == []


def test_an_issuer_off_the_egress_allow_list_is_refused_without_opening_a_socket(fake_ehr):  # noqa: F811
    # The pattern lets 127.0.0.2 through, but no enabled registration makes that origin reachable.
    # pytest-socket would fail the test with SocketBlockedError if a connection to it were attempted.
    config = make_config("", issuer_pattern=r"http://127\.0\.0\.2/fhir(/r4)?")

    with pytest.raises(LaunchRejected) as refused:
        discover(config, "http://127.0.0.2/fhir")
    assert refused.value.reason == "egress_refused"
