"""A loopback fake EHR for EhrClient tests: canned answers per path, every request recorded."""

import http.server
import json
import threading
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/fhir+json"
    headers: dict = field(default_factory=dict)
    declare_length: bool = True  # False: the body runs until the connection closes (HTTP/1.0)


def fhir_json(resource: dict, status: int = 200, **headers) -> Answer:
    return Answer(status, json.dumps(resource).encode(), headers=headers)


def searchset(entries: list[dict], next_url: str | None = None) -> dict:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}


def entry(resource: dict, mode: str | None = "match") -> dict:
    return {"resource": resource, **({"search": {"mode": mode}} if mode else {})}


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 64  # concurrent tests: a full backlog would stall connects for a second
    daemon_threads = True


class FakeEhr:
    """Serves `answers[path_with_query]` (or `answers[path]`) and records (path, headers) of each request."""

    def __init__(self):
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict]] = []
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self.base_url = f"{self.origin}/fhir"
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                fake.requests.append((self.path, dict(self.headers)))
                answer = fake.answers.get(self.path) or fake.answers.get(self.path.split("?")[0])
                answer = answer or Answer(404, b'{"resourceType": "OperationOutcome"}')
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.declare_length:
                    self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        return Handler
