"""SMART Backend Services: a system token from the sandbox over HTTP, cached, renewed, retried afresh."""

import threading

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from smartapp.ehr import backend_services, configs
from smartapp.ehr.backend_services import system_client
from smartapp.ehr.errors import EhrUnavailable, LaunchRejected
from smartapp.sandbox import faults
from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import UsedAssertion
from smartapp.sandbox.store import save_resource
from tests.ehr.auth_fakes import (
    clean_cache,  # noqa: F401 (fixture)
    fake_ehr,  # noqa: F401 (fixture)
    json_answer,
    make_config,
    smart_configuration,
)

BACKEND = "smartapp-backend"
REFERRAL = {"coding": [{"system": "http://snomed.info/sct", "code": "3457005"}]}


def _referral(sr_id: str, patient: str) -> dict:
    return {
        "resourceType": "ServiceRequest",
        "id": sr_id,
        "status": "active",
        "intent": "order",
        "category": [REFERRAL],
        "subject": {"reference": f"Patient/{patient}"},
    }


@pytest.fixture
def forget_tokens():
    backend_services.forget_system_tokens()
    yield
    backend_services.forget_system_tokens()


@pytest.fixture
def sandbox(live_server, settings, transactional_db, clean_cache, forget_tokens):  # noqa: F811
    """The sandbox registration on the live server; its backend client registered with the app's JWKS."""
    settings.APP_ORIGIN = live_server.url
    clients.register_default_backend([live_server.url])
    for patient in ("p-1", "p-2"):
        save_resource({"resourceType": "Patient", "id": patient})
        save_resource(_referral(f"sr-{patient}", patient))
    return configs.by_name("sandbox")


def test_a_system_token_reads_referrals_across_patients(sandbox):
    client = system_client(sandbox)

    result = client.search("ServiceRequest", {"_count": "10"})

    assert sorted(r["id"] for r in result.matches) == ["sr-p-1", "sr-p-2"]
    assert client.base_url == sandbox.issuer


def test_the_token_is_asked_for_once_and_reused(sandbox):
    first = system_client(sandbox)
    second = system_client(sandbox)

    first.read("Patient", "p-1")
    second.read("Patient", "p-2")

    assert UsedAssertion.objects.filter(client_id=BACKEND).count() == 1


def test_concurrent_callers_share_one_token_request(sandbox):
    errors = []

    def ask():
        try:
            system_client(sandbox)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert UsedAssertion.objects.filter(client_id=BACKEND).count() == 1


def test_an_expired_token_is_obtained_again_with_a_new_assertion(sandbox, monkeypatch):
    system_client(sandbox)
    later = backend_services._now() + 3600
    monkeypatch.setattr(backend_services, "_now", lambda: later)

    system_client(sandbox).read("Patient", "p-1")

    jtis = list(UsedAssertion.objects.filter(client_id=BACKEND).values_list("jti", flat=True))
    assert len(jtis) == len(set(jtis)) == 2


def test_a_token_the_ehr_refuses_as_expired_is_renewed_and_the_read_retried(sandbox):
    client = system_client(sandbox)
    faults.switch_on(faults.TOKEN_EXPIRED, client_id=BACKEND, remaining=1)

    assert client.read("Patient", "p-1")["id"] == "p-1"
    assert client.request_count == 2
    assert UsedAssertion.objects.filter(client_id=BACKEND).count() == 2


def test_a_client_with_keys_the_ehr_does_not_know_is_refused(sandbox):
    clients.register(
        BACKEND, client_type=clients.CONFIDENTIAL, grant_type=clients.CLIENT_CREDENTIALS, jwks={"keys": []}
    )

    with pytest.raises(LaunchRejected) as refused:
        system_client(sandbox)
    assert refused.value.reason == "invalid_client"


def test_a_registration_without_a_backend_client_is_a_configuration_error(sandbox):
    launch_only = make_config(sandbox.issuer)

    with pytest.raises(ImproperlyConfigured):
        system_client(launch_only)


# --- against a fake EHR: transient token-endpoint failures --------------------------------------------


@pytest.fixture
def fake_backend(fake_ehr, forget_tokens):  # noqa: F811
    fake_ehr.answers["/fhir/.well-known/smart-configuration"] = json_answer(smart_configuration(fake_ehr))
    config = make_config(
        fake_ehr.base_url,
        backend_client_id="svc",
        scopes={"backend": "system/ServiceRequest.rs"},
    )
    return fake_ehr, config


def _assertions(fake) -> list[dict]:
    posts = [seen.form for seen in fake.seen if seen.path == "/auth/token"]
    return [jwt.decode(form["client_assertion"], options={"verify_signature": False}) for form in posts]


def test_a_503_then_success_sends_a_new_assertion_each_time(fake_backend):
    fake, config = fake_backend
    granted = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300, "scope": "system/x.rs"}
    fake.answers["/auth/token"] = [
        json_answer({}, status=503, **{"Retry-After": "0"}),
        json_answer(granted),
    ]

    client = system_client(config)

    sent = _assertions(fake)
    assert len(sent) == 2
    assert sent[0]["jti"] != sent[1]["jti"]
    assert sent[0]["iss"] == sent[0]["sub"] == "svc"
    assert client.base_url == fake.base_url


def test_the_token_endpoint_is_tried_a_bounded_number_of_times(fake_backend):
    fake, config = fake_backend
    fake.answers["/auth/token"] = json_answer({}, status=503, **{"Retry-After": "0"})

    with pytest.raises(EhrUnavailable):
        system_client(config)

    sent = _assertions(fake)
    assert len(sent) == backend_services.TOKEN_ATTEMPTS
    assert len({claims["jti"] for claims in sent}) == backend_services.TOKEN_ATTEMPTS


def test_a_long_retry_after_is_left_to_the_task_queue(fake_backend):
    fake, config = fake_backend
    fake.answers["/auth/token"] = json_answer({}, status=429, **{"Retry-After": "120"})

    with pytest.raises(EhrUnavailable) as raised:
        system_client(config)

    assert raised.value.retry_after == 120
    assert len(_assertions(fake)) == 1
