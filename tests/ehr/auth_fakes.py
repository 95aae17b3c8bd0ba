"""A loopback fake EHR authorization server for the ehr/ auth tests, and registrations pointing at it."""

import http.server
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from smartapp.ehr.configs import LaunchConfig


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


def json_answer(data: dict, status: int = 200, **headers) -> Answer:
    return Answer(status, json.dumps(data).encode(), headers=headers)


def html_answer(status: int = 200) -> Answer:
    return Answer(status, b"<html><body>Sign in</body></html>", content_type="text/html")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    form: dict


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class FakeAuthServer:
    """Serves `answers[path]` (an Answer, or a list answered in turn) to GET and POST (404 otherwise) and
    records every request it gets."""

    def __init__(self):
        self.answers: dict[str, Answer] = {}
        self.seen: list[Seen] = []
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self.base_url = f"{self.origin}/fhir"
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                self._answer({})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                self._answer(form)

            def _answer(self, form):
                fake.seen.append(Seen(self.command, self.path, dict(self.headers), form))
                answer = fake.answers.get(self.path, Answer(404, b'{"error": "not found"}'))
                if isinstance(answer, list):  # answered in turn; the last one stays
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        return Handler


def make_config(issuer: str, **overrides) -> LaunchConfig:
    """A registration for tests, built directly (the registry reads launch_configs/ only)."""
    fields = {
        "name": "fake",
        "title": "Fake EHR",
        "vendor": "sandbox",
        "issuer": issuer,
        "issuer_pattern": "",
        "client_id": "smartapp-test",
        "client_auth": "public",
        "client_secret": "",
        "scope_grammar": "v2",
        "scopes": {"clinician": "launch openid fhirUser patient/Patient.rs patient/Observation.rs"},
        "extra_hosts": (),
        "coordinators": frozenset(),
        "embedding": "window",
        "source": "fake.toml",
    }
    return LaunchConfig(**{**fields, **overrides})


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake_ehr(settings, clean_cache):
    """A fake EHR on 127.0.0.1, which the egress allow-list lets the app reach."""
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    server = FakeAuthServer()
    yield server
    server.close()


def smart_configuration(fake: FakeAuthServer, **overrides) -> dict:
    return {
        "issuer": fake.base_url,
        "authorization_endpoint": fake.url("/auth/authorize"),
        "token_endpoint": fake.url("/auth/token"),
        "revocation_endpoint": fake.url("/auth/revoke"),
        "jwks_uri": fake.url("/auth/jwks"),
        "capabilities": ["launch-ehr", "permission-v2"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "fhirUser"],
        **overrides,
    }
