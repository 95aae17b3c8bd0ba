"""The launch tests' browser (a requests session against the app and the sandbox on one live server), and
the hostile-input battery's hostile EHR (tests/security/test_hostile_*.py)."""

import socket

import pytest

from tests.ehr.auth_fakes import clean_cache, fake_ehr  # noqa: F401  re-exported fixtures
from tests.launch.conftest import browser  # noqa: F401  re-exported fixture


@pytest.fixture
def hostile_ehr(settings, tmp_path, fake_ehr, db):  # noqa: F811
    """A loopback fake EHR with a smartapp registration next to the sandbox's (fake_registration.py)."""
    from tests.security.fake_registration import install

    return install(settings, fake_ehr, tmp_path)


@pytest.fixture
def sockets(monkeypatch):
    """Every host the process resolves or connects to during the test (the app runs in it too)."""
    seen = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def spy_connect(self, address, *args):
        seen.append(address[0] if isinstance(address, tuple) else address)
        return connect(self, address, *args)

    def spy_getaddrinfo(host, *args, **kwargs):
        seen.append(host)
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", spy_connect)
    monkeypatch.setattr(socket, "getaddrinfo", spy_getaddrinfo)
    return seen
