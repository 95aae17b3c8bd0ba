"""Every request the live server answers, as the sandbox EHR saw it: method, path, query and status.

The app reaches the sandbox only over HTTP (STYLE.md), so what crossed the wire is the proof of how it read
the EHR: which population strategy (a `$export` kick-off, per-patient searches, system-wide searches) and
whether any request was refused (a broken vendor rule is a 4xx).
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    said: str = ""  # the start of an error answer's body (an OperationOutcome's diagnostics)
    host: str = ""  # the Host the request was sent to

    def param(self, name: str) -> str:
        return self.query.get(name, [""])[0]


class Traffic:
    """A WSGI wrapper around the live server's application; records only inside `watching()`."""

    def __init__(self, application):
        self.application = application
        self._lock = threading.Lock()
        self._logs: list[list[Seen]] = []

    def __call__(self, environ, start_response):
        answered = []

        def start(status, headers, exc_info=None):
            answered.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        body = self.application(environ, start)
        if answered and answered[0] >= 400:  # an error's body is small: read it, and answer it unchanged
            chunks = list(body)
            getattr(body, "close", lambda: None)()
            self._record(environ, answered[0], b"".join(chunks)[:400].decode("utf-8", "replace"))
            return chunks
        if answered:
            self._record(environ, answered[0], "")
        return body

    def _record(self, environ, status: int, said: str) -> None:
        seen = Seen(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", ""),
            parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            status,
            said,
            environ.get("HTTP_HOST", ""),
        )
        with self._lock:
            for log in self._logs:
                log.append(seen)

    @contextmanager
    def watching(self):
        """Yield a list that fills with every request answered until the block ends."""
        log: list[Seen] = []
        with self._lock:
            self._logs.append(log)
        try:
            yield log
        finally:
            with self._lock:
                self._logs.remove(log)


def under(log: list[Seen], base_path: str) -> list[Seen]:
    """The requests to the FHIR API (or any path) under `base_path`."""
    return [seen for seen in log if seen.path.startswith(f"{base_path}/")]


def refused(log: list[Seen], *, allowed: tuple[int, ...] = ()) -> list[str]:
    """`METHOD path ?parameter names -> status: what the server said` of every 4xx/5xx answer but the
    `allowed` statuses (the parameters' names only: their values may name a patient)."""
    return [
        f"{s.method} {s.path} ?{','.join(sorted(s.query))} -> {s.status}: {s.said}"
        for s in log
        if s.status >= 400 and s.status not in allowed
    ]


def searches(log: list[Seen], base_path: str, resource_type: str) -> list[Seen]:
    paths = (f"{base_path}/{resource_type}", f"{base_path}/{resource_type}/_search")
    return [seen for seen in log if seen.path in paths]
