"""The EHR refusing the sync's Backend Services credentials (invalid_client): recorded on the connection,
shown on the worklist and in the admin, and not asked again every 15 minutes until the credentials change,
an admin clears the refusal, or the backoff passes. End to end against the sandbox on the live server,
which refuses a client whose registered keys are not the app's."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from smartapp.ehr import backend_services
from smartapp.referrals import credential_backoff, tasks
from smartapp.referrals.credential_backoff import CredentialsRefused
from smartapp.referrals.models import SyncClaim
from smartapp.referrals.sync import referral_sync, sync_connections
from smartapp.sandbox.auth import clients
from tests.conftest import otp_verified
from tests.referrals import dashboard
from tests.referrals.sync_support import BACKEND, ehr_fixture  # noqa: F401 (the `ehr` fixture)

REFUSED_TEXT = "Sync credentials refused since"


@pytest.fixture
def token_requests(monkeypatch):
    """How many client_credentials requests reached the EHR's token endpoint."""
    calls = []
    real = backend_services.token_endpoint.client_credentials

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(backend_services.token_endpoint, "client_credentials", counted)
    return calls


@pytest.fixture
def refused(ehr, live_server, token_requests):
    """The sandbox no longer knows the app's key; one scheduled sync ran into the refusal."""
    clients.register(
        BACKEND, client_type=clients.CONFIDENTIAL, grant_type=clients.CLIENT_CREDENTIALS, jwks={"keys": []}
    )
    backend_services.forget_system_tokens()
    result = tasks.sync_connection.apply(args=["sandbox"])
    assert not result.successful()  # permanent: not retried
    assert token_requests  # it did ask
    token_requests.clear()
    return SyncClaim.objects.get(connection="sandbox")


def test_the_refusal_is_recorded_on_the_connection(refused):
    assert refused.credentials_refused_at is not None
    assert refused.credentials_fingerprint


def test_later_runs_skip_the_connection_without_asking_the_ehr(refused, token_requests):
    assert tasks.sync_all.apply().get() == 0  # beat's fan-out leaves it out
    with pytest.raises(CredentialsRefused):
        referral_sync(connection="sandbox")
    with pytest.raises(CredentialsRefused):
        referral_sync(connection="sandbox", patient="pat-009")  # a clinician's track request too
    assert token_requests == []
    assert SyncClaim.objects.get().credentials_refused_at == refused.credentials_refused_at  # "since"


def test_the_worklist_says_since_when(refused):
    browser = Client()
    dashboard.signed_in(browser)

    page = browser.get("/referrals/").content.decode()

    assert REFUSED_TEXT in page and "sync-refused" in page


def test_the_worklist_says_nothing_while_credentials_are_accepted(db):
    browser = Client()
    dashboard.signed_in(browser)
    assert REFUSED_TEXT not in browser.get("/referrals/").content.decode()


def test_the_admin_shows_the_refusal_and_clearing_it_lets_the_next_run_try(
    refused, admin_user, token_requests
):
    admin = otp_verified(Client(), admin_user)
    listing = admin.get("/admin/referrals/syncclaim/").content.decode()
    assert REFUSED_TEXT in listing

    admin.post(
        "/admin/referrals/syncclaim/",
        {"action": "clear_refusal", "_selected_action": [refused.pk]},
    )

    assert SyncClaim.objects.get().credentials_refused_at is None
    assert sync_connections() == ["sandbox"]


def test_fixed_credentials_sync_again_and_clear_the_refusal(refused, live_server, token_requests):
    clients.register_default_backend([live_server.url])  # the EHR knows the key again
    credential_backoff.credentials_refusal_clear(connection="sandbox")  # an admin says so

    report = referral_sync(connection="sandbox")

    assert report.total("created") > 0 and len(token_requests) == 1
    assert SyncClaim.objects.get().credentials_refused_at is None


def test_changed_credentials_are_tried_at_once(refused, monkeypatch):
    monkeypatch.setattr(credential_backoff, "credentials_fingerprint", lambda config: "another key")
    assert sync_connections() == ["sandbox"]


def test_after_the_backoff_one_attempt_is_made(refused, settings, token_requests):
    SyncClaim.objects.update(
        credentials_refused_at=timezone.now()
        - timedelta(hours=settings.REFERRAL_SYNC_REFUSED_BACKOFF_HOURS + 1)
    )
    assert sync_connections() == ["sandbox"]

    assert not tasks.sync_connection.apply(args=["sandbox"]).successful()  # refused again

    assert len(token_requests) >= 1
    assert SyncClaim.objects.get().credentials_refused_at > timezone.now() - timedelta(minutes=1)
    assert sync_connections() == []
