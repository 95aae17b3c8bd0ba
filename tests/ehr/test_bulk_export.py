"""The Bulk Data client (ehr/bulk_export.py): kick-off, status, manifest, NDJSON files, DELETE."""

import json

import pytest
import requests

from smartapp.ehr.bulk_export import (
    ExportRestart,
    Manifest,
    Pending,
    export_delete,
    export_kick_off,
    export_resources,
    export_status,
)
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrUnavailable
from smartapp.ehr.fhir import EhrClient
from tests.ehr.bulk_fakes import BASE, FakeSession, Reply, fhir, ndjson, outcome

KICK_OFF = f"{BASE}/Group/panel-1/$export"
STATUS = f"{BASE}/bulkstatus/job-1"
FILE = f"{BASE}/bulkfiles/job-1/ServiceRequest-1.ndjson"
PARAMS = [("_type", "ServiceRequest,Patient")]


@pytest.fixture
def session():
    return FakeSession()


@pytest.fixture
def client(session):
    return EhrClient(base_url=BASE, access_token="token-1", session=session)


def manifest_body(**changes) -> dict:
    body = {
        "transactionTime": "2026-12-01T10:00:00Z",
        "request": KICK_OFF,
        "requiresAccessToken": True,
        "output": [{"type": "ServiceRequest", "url": FILE}],
        "error": [],
    }
    return {key: value for key, value in {**body, **changes}.items() if value is not None}


def test_the_kick_off_asks_for_an_async_answer_and_gives_the_status_url(client, session):
    session.answer("GET", KICK_OFF, Reply(202, headers={"Content-Location": STATUS}))

    assert export_kick_off(client, group_id="panel-1", params=PARAMS) == STATUS

    method, url, headers = session.sent[0]
    assert url == f"{KICK_OFF}?_type=ServiceRequest%2CPatient"
    assert headers["Prefer"] == "respond-async" and headers["Accept"] == "application/fhir+json"
    assert headers["Authorization"] == "Bearer token-1"


def test_a_429_at_kick_off_is_unavailable_with_its_retry_after(client, session):
    session.answer("GET", KICK_OFF, Reply(429, headers={"Retry-After": "120"}))

    with pytest.raises(EhrUnavailable) as raised:
        export_kick_off(client, group_id="panel-1", params=PARAMS)

    assert raised.value.retry_after == 120


@pytest.mark.parametrize(
    "reply",
    [
        fhir({"resourceType": "Bundle", "type": "collection"}),  # answered at once: not the async pattern
        Reply(202),  # no status URL
        Reply(202, headers={"Content-Location": "https://elsewhere.example.net/status/1"}),  # off the base
    ],
    ids=["synchronous", "no-location", "foreign-location"],
)
def test_a_kick_off_without_a_status_url_on_the_base_is_refused(client, session, reply):
    session.answer("GET", KICK_OFF, reply)

    with pytest.raises(EhrBadResponse):
        export_kick_off(client, group_id="panel-1", params=PARAMS)


def test_a_running_job_is_pending_with_the_ehrs_retry_after(client, session):
    session.answer("GET", STATUS, Reply(202, headers={"Retry-After": "30", "X-Progress": "in-progress"}))

    assert export_status(client, STATUS) == Pending(retry_after=30.0)


def test_a_complete_job_gives_its_manifest(client, session):
    session.answer("GET", STATUS, fhir(manifest_body()))

    manifest = export_status(client, STATUS)

    assert isinstance(manifest, Manifest) and manifest.requires_token
    assert manifest.transaction_time.isoformat() == "2026-12-01T10:00:00+00:00"
    assert [(f.resource_type, f.url) for f in manifest.files] == [("ServiceRequest", FILE)]


@pytest.mark.parametrize(
    "changes",
    [
        {"transactionTime": None},
        {"transactionTime": "yesterday"},
        {"requiresAccessToken": "yes"},
        {"output": {"type": "ServiceRequest"}},
        {"output": [{"type": "not a type", "url": FILE}]},
        {"output": [{"type": "ServiceRequest", "url": "https://files.example.net/1.ndjson"}]},
        {"output": [{"type": "ServiceRequest", "url": "/fhir/bulkfiles/1.ndjson"}]},
    ],
    ids=[
        "no-time",
        "bad-time",
        "bad-token-flag",
        "output-not-list",
        "bad-type",
        "foreign-file",
        "relative-file",
    ],
)
def test_a_manifest_that_cannot_be_trusted_is_refused(client, session, changes):
    session.answer("GET", STATUS, fhir(manifest_body(**changes)))

    with pytest.raises(EhrBadResponse):
        export_status(client, STATUS)


@pytest.mark.parametrize(
    "reply",
    [outcome("exception", 500), outcome("processing", 400), Reply(404), Reply(410)],
    ids=["failed-500", "failed-400", "gone-404", "gone-410"],
)
def test_a_failed_or_vanished_job_must_be_started_again(client, session, reply):
    session.answer("GET", STATUS, reply)

    with pytest.raises(ExportRestart):
        export_status(client, STATUS)


@pytest.mark.parametrize("reply", [outcome("transient", 503), Reply(503, b"<html>down</html>")])
def test_a_transient_status_error_keeps_the_job(client, session, reply):
    session.answer("GET", STATUS, reply)

    with pytest.raises(EhrUnavailable) as raised:
        export_status(client, STATUS)

    assert not isinstance(raised.value, ExportRestart)


def test_a_status_url_off_the_base_never_gets_the_token(client, session):
    with pytest.raises(EhrBadResponse):
        export_status(client, "https://elsewhere.example.net/status/1")

    assert session.sent == []


def _manifest(requires_token=True) -> Manifest:
    from smartapp.ehr.bulk_export import ExportFile
    from smartapp.ehr.population.base import parsed

    return Manifest(parsed("2026-12-01T10:00:00Z"), requires_token, (ExportFile("ServiceRequest", FILE),))


def test_a_file_is_read_line_by_line_after_the_lines_already_stored(client, session):
    lines = [{"resourceType": "ServiceRequest", "id": f"sr-{n}"} for n in range(5)]
    session.answer("GET", FILE, ndjson(lines))
    manifest = _manifest()

    resources = list(export_resources(client, manifest, manifest.files[0], skip=2))

    assert [r["id"] for r in resources] == ["sr-2", "sr-3", "sr-4"]
    headers = session.sent[0][2]
    assert headers["Accept"] == "application/fhir+ndjson" and headers["Authorization"] == "Bearer token-1"


def test_a_file_that_needs_no_token_is_read_without_it(client, session):
    session.answer("GET", FILE, ndjson([{"resourceType": "ServiceRequest", "id": "sr-1"}]))
    manifest = _manifest(requires_token=False)

    list(export_resources(client, manifest, manifest.files[0]))

    assert "Authorization" not in session.sent[0][2]


def test_lines_split_across_chunks_and_blank_lines_are_read_right(client, session):
    text = b'{"resourceType": "Task", "id": "t-1"}\r\n\n{"resourceType": "Ta' + b'sk", "id": "t-2"}'
    session.answer("GET", FILE, Reply(200, iter([text[:20], text[20:45], text[45:]])))
    manifest = _manifest()

    assert [r["id"] for r in export_resources(client, manifest, manifest.files[0])] == ["t-1", "t-2"]


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]\n", b'{"id": "x"}\n', b"{not json\n", b'{"resourceType": "Task", "n": NaN}\n'],
    ids=["array", "no-type", "garbage", "nan"],
)
def test_a_line_that_is_not_a_resource_is_refused(client, session, body):
    session.answer("GET", FILE, Reply(200, body))
    manifest = _manifest()

    with pytest.raises(EhrBadResponse):
        list(export_resources(client, manifest, manifest.files[0]))


def test_an_endless_line_is_refused_before_it_is_held_whole(client, session, monkeypatch):
    from smartapp.ehr import bulk_export

    monkeypatch.setattr(bulk_export, "MAX_LINE_BYTES", 1000)

    def endless():
        while True:
            yield b"x" * 100

    session.answer("GET", FILE, Reply(200, endless()))
    manifest = _manifest()

    with pytest.raises(EhrBadResponse):
        list(export_resources(client, manifest, manifest.files[0]))
    assert session.responses[-1].chunks_read <= 11


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_file_means_starting_again(client, session, status):
    session.answer("GET", FILE, Reply(status))
    manifest = _manifest()

    with pytest.raises(ExportRestart):
        list(export_resources(client, manifest, manifest.files[0]))


def test_a_connection_lost_mid_file_is_unavailable(client, session):
    good = json.dumps({"resourceType": "Task", "id": "t-1"}).encode() + b"\n"
    session.answer("GET", FILE, Reply(200, iter([good, requests.exceptions.ChunkedEncodingError("cut")])))
    manifest = _manifest()
    read = []

    with pytest.raises(EhrUnavailable):
        for resource in export_resources(client, manifest, manifest.files[0]):
            read.append(resource["id"])

    assert read == ["t-1"]


def test_a_401_on_a_file_renews_the_token_once(session):
    tokens = iter(["token-2"])
    client = EhrClient(
        base_url=BASE, access_token="token-1", session=session, renew_token=lambda stale: next(tokens)
    )
    session.answer("GET", FILE, Reply(401), ndjson([{"resourceType": "Task", "id": "t-1"}]))
    manifest = _manifest()

    assert [r["id"] for r in export_resources(client, manifest, manifest.files[0])] == ["t-1"]
    assert [headers["Authorization"] for _, _, headers in session.sent] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_a_401_without_renewal_is_auth_expired(client, session):
    session.answer("GET", STATUS, Reply(401))

    with pytest.raises(EhrAuthExpired):
        export_status(client, STATUS)


def test_the_job_is_deleted_and_a_refusal_is_only_logged(client, session):
    session.answer("DELETE", STATUS, Reply(202))
    assert export_delete(client, STATUS) is True
    session.answer("DELETE", STATUS, Reply(500))
    assert export_delete(client, STATUS) is False
    session.answer("DELETE", STATUS, requests.ConnectionError("down"))
    assert export_delete(client, STATUS) is False
    assert session.urls("DELETE") == [STATUS] * 3
