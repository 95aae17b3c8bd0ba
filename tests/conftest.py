"""Fixtures shared by the whole suite.

Network guard: pytest-socket (see pyproject addopts) lets tests connect only to 127.0.0.1 and ::1.
"""

import os
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

# The worker processes that tests start (tests/services, tests/core/sqlite_app.py) inherit this: a worker
# that syncs every connection as it starts would run syncs no test asked for (referrals/tasks.py).
os.environ.setdefault("REFERRAL_SYNC_ON_WORKER_START", "false")


@pytest.fixture
def fhir_base(live_server):
    """The sandbox's FHIR base URL (its `iss`) on the live test server."""
    return f"{live_server.url}/sandbox/fhir"


@pytest.fixture
def registered_client(db):
    """A confidential SMART client registered with the sandbox (django-oauth-toolkit Application)."""
    from oauth2_provider.models import get_application_model

    return get_application_model().objects.create(
        name="test client",
        client_id="test-client",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="http://127.0.0.1:9/callback/",
        algorithm="RS256",
        skip_authorization=True,
        hash_client_secret=False,  # PBKDF2 would cost ~0.3 s per test
    )


@pytest.fixture
def make_token(registered_client):
    """Mint a sandbox access token directly: make_token("patient/*.rs", patient_id="p1") -> token string."""
    from oauth2_provider.models import get_access_token_model

    from smartapp.sandbox.models import TokenContext

    def make(scope: str, *, patient_id: str = "", fhir_user: str = "", expires_in: int = 3600) -> str:
        value = secrets.token_urlsafe(32)
        token = get_access_token_model().objects.create(
            token=value,
            application=registered_client,
            scope=scope,
            expires=timezone.now() + timedelta(seconds=expires_in),
        )
        TokenContext.objects.create(access_token=token, patient_id=patient_id, fhir_user=fhir_user)
        return value

    return make


@pytest.fixture
def app_url(live_server, settings):
    """The live server's origin, registered as smartapp's origin (launch and Backend Services clients)
    with the seeded sandbox (as load_all() seeds it: tests/seeding.py)."""
    from smartapp.sandbox.auth import clients
    from tests.seeding import seed

    settings.APP_ORIGIN = live_server.url
    seed()
    clients.register_default_app([live_server.url])
    clients.register_default_backend([live_server.url])
    return live_server.url


@pytest.fixture(scope="session", autouse=True)
def live_server_tuned():
    """The live server listens as bin/run's runserver does (smartapp/core/management/commands/runserver.py):
    a backlog of 2048 instead of 10, so a burst of parallel requests is never reset, and TCP_NODELAY, so
    a client that keeps its connection open (requests.Session, the app's FHIR client) does not wait
    ~40 ms for the body of every response (Nagle's algorithm and delayed ACK)."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    from smartapp.core.management.commands.runserver import TunedListener

    class TunedLiveServer(TunedListener, ThreadedWSGIServer):
        pass

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LiveServerThread, "server_class", TunedLiveServer)
        yield


@pytest.fixture(scope="session", autouse=True)
def post_flush_rows_copied():
    """Each transactional test's flush gets its content types and permissions back by a copy of the rows
    (tests/flushing.py), not by post_migrate's ~150 queries."""
    from django.core.management.commands import flush

    from tests.flushing import emit_post_migrate

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush, "emit_post_migrate_signal", emit_post_migrate)
        yield


@pytest.fixture(autouse=True)
def launch_rate_limit_high(settings):
    """The suite launches many times from 127.0.0.1 (every seeded chart, one after another): far above the
    production limit. tests/security/test_abuse_limits.py sets its own limit and client addresses."""
    settings.LAUNCH_RATE_LIMIT = 100_000


def otp_verified(client, user):
    """Sign `user` in to the admin as if with a TOTP token: the admin wants a verified device (django-otp)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first()
    device = device or TOTPDevice.objects.create(user=user, name="admin", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, with the second factor the admin requires."""
    return otp_verified(client, admin_user)
