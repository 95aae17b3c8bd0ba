"""An in-process fake EHR session for population and Bulk Data tests: no socket is opened.

EhrClient sends through `session.request` / `session.get`; this session answers from routes keyed by method
and URL (with its query, else without), records every request, and streams bodies chunk by chunk, counting
what the client consumed, so a test can tell a file was read as it streamed and not whole.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from requests.structures import CaseInsensitiveDict

BASE = "https://ehr.example.org/fhir"


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict = field(default_factory=dict)


def fhir(resource: dict, status: int = 200, **headers) -> Reply:
    return Reply(status, json.dumps(resource).encode(), {"Content-Type": "application/fhir+json", **headers})


def ndjson(resources: list[dict]) -> Reply:
    body = b"".join(json.dumps(resource).encode() + b"\n" for resource in resources)
    return Reply(200, body, {"Content-Type": "application/fhir+ndjson"})


def bundle(resources: list[dict], next_url: str | None = None, server_time: str | None = None) -> Reply:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    meta = {"lastUpdated": server_time} if server_time else {}
    entries = [{"resource": resource, "search": {"mode": "match"}} for resource in resources]
    return fhir(
        {"resourceType": "Bundle", "type": "searchset", "meta": meta, "link": links, "entry": entries}
    )


def outcome(code: str, status: int) -> Reply:
    return fhir({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code}]}, status)


class FakeResponse:
    def __init__(self, reply: Reply):
        self.status_code = reply.status
        self.headers = CaseInsensitiveDict(reply.headers)
        self._body = reply.body
        self.chunks_read = 0
        self.closed = False
        self.raw = None  # urllib3's response: none here, so no retries to count

    def iter_content(self, chunk_size: int = 1):
        if isinstance(self._body, bytes):
            for start in range(0, len(self._body), chunk_size):
                self.chunks_read += 1
                yield self._body[start : start + chunk_size]
            return
        for chunk in self._body:
            if isinstance(chunk, Exception):
                raise chunk
            self.chunks_read += 1
            yield chunk

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


Route = Reply | Exception | Callable[[str], Reply]  # a callable gets the URL with its query


class FakeSession:
    """routes[(method, url)]: a list of answers given in turn (the last one repeats)."""

    def __init__(self):
        self.routes: dict[tuple[str, str], list[Route]] = {}
        self.sent: list[tuple[str, str, dict]] = []  # (method, URL with query, headers)
        self.responses: list[FakeResponse] = []

    def answer(self, method: str, url: str, *replies: Route) -> None:
        self.routes[(method, url)] = list(replies)

    def request(self, method, url, params=None, headers=None, **kwargs):
        full = f"{url}?{urlencode(params)}" if params else url
        self.sent.append((method, full, dict(headers or {})))
        replies = self.routes.get((method, full)) or self.routes.get((method, full.split("?")[0]))
        if not replies:
            raise requests.ConnectionError("no route")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, Exception):
            raise reply
        response = FakeResponse(reply(full) if callable(reply) else reply)
        self.responses.append(response)
        return response

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def urls(self, method: str = "GET") -> list[str]:
        return [url for sent_method, url, _ in self.sent if sent_method == method]


SYNC_TYPES = ("ServiceRequest", "Task", "Appointment", "Encounter", "DocumentReference")


# Read, not synced: the panel's Group and the people a bulk export may bring.
READABLE = ("Group", "Practitioner", "PractitionerRole")


def vendor_rules(
    population: str, *, bulk_params=(), searchable=(*SYNC_TYPES, *READABLE), max_count: int = 100
):
    """A rule table naming `population`, every other rule permissive (as profile_for(config).rules)."""
    from smartapp.ehr.profiles.rules import SearchRule, VendorRules

    accepted = frozenset({"_id", "patient", "_lastUpdated", "category", "_include"})
    return VendorRules(
        vendor="sandbox",
        search={resource_type: SearchRule(accepted) for resource_type in searchable},
        max_count=max_count,
        default_count=50,
        population=population,
        bulk_params=frozenset(bulk_params),
        sorts_by_last_updated=False,
        refresh_rotates=True,
        advertises_pkce=True,
        client_credentials=True,
        fhir_user_absolute=False,
        scope_grammar="v2",
        tenant_scoped=False,
        separate_auth_host=False,
        binary_exact_accept=False,
    )


def use_rules(monkeypatch, rules) -> None:
    """Make the population strategies see `rules` for every registration."""
    from types import SimpleNamespace

    from smartapp.ehr import population

    monkeypatch.setattr(population, "profile_for", lambda config: SimpleNamespace(rules=rules))


def launch_config(*, group_id: str = "", backend_scope: str = "system/*.rs"):
    """A sandbox-vendor registration of the fake EHR at BASE (built here: no launch_configs/ file read)."""
    from smartapp.ehr.configs import LaunchConfig

    return LaunchConfig(
        name="fake",
        title="Fake EHR",
        vendor="sandbox",
        issuer=BASE,
        issuer_pattern="",
        client_id="fake-app",
        client_auth="none",
        client_secret="",
        scope_grammar="v2",
        scopes={"backend": backend_scope},
        extra_hosts=(),
        coordinators=frozenset(),
        embedding="",
        source="fake.toml",
        group_id=group_id,
    )
