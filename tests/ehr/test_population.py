"""ehr/population: the strategy chosen by the vendor's table, and the Bulk Data export strategy's pages.

Through a fake session (tests/ehr/bulk_fakes.py): no database, no socket. The sync that stores these
pages is tested in tests/referrals/test_sync_strategies*.py.
"""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from smartapp.ehr.bulk_export import ExportRestart
from smartapp.ehr.errors import EhrBadResponse, EhrError
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.population import PopulationPending, bulk, population_pages
from tests.ehr.bulk_fakes import (
    BASE,
    SYNC_TYPES,
    FakeSession,
    Reply,
    bundle,
    fhir,
    launch_config,
    ndjson,
    outcome,
    use_rules,
    vendor_rules,
)

KICK_OFF = f"{BASE}/Group/panel-1/$export"
STATUS = f"{BASE}/bulkstatus/job-1"
DONE = "2026-12-01T10:00:00Z"
NO_MARKS = dict.fromkeys(SYNC_TYPES)


def file_url(name: str) -> str:
    return f"{BASE}/bulkfiles/job-1/{name}.ndjson"


def manifest(*files: tuple[str, str], requires_token: bool = True) -> Reply:
    output = [{"type": resource_type, "url": file_url(name)} for resource_type, name in files]
    return fhir({"transactionTime": DONE, "requiresAccessToken": requires_token, "output": output})


def resources(resource_type: str, count: int, prefix: str = "") -> list[dict]:
    return [
        {"resourceType": resource_type, "id": f"{prefix or resource_type.lower()}-{n}"} for n in range(count)
    ]


@pytest.fixture
def session():
    return FakeSession()


@pytest.fixture
def client(session):
    return EhrClient(base_url=BASE, access_token="token-1", session=session)


@pytest.fixture
def waits(monkeypatch):
    """The seconds the strategy slept in-process (nothing actually sleeps)."""
    slept = []
    monkeypatch.setattr(bulk, "sleep", slept.append)
    return slept


@pytest.fixture
def export(monkeypatch, session, waits):
    """A Bulk Data vendor taking _since and _typeFilter, a job that runs once and exports three files."""
    use_rules(monkeypatch, vendor_rules("bulk_export", bulk_params=("_type", "_since", "_typeFilter")))
    session.answer("GET", KICK_OFF, Reply(202, headers={"Content-Location": STATUS}))
    files = ("Patient", "patients"), ("ServiceRequest", "referrals"), ("Task", "tasks")
    session.answer("GET", STATUS, Reply(202, headers={"Retry-After": "3"}), manifest(*files))
    session.answer("GET", file_url("referrals"), ndjson(resources("ServiceRequest", 5)))
    session.answer("GET", file_url("tasks"), ndjson(resources("Task", 2)))
    session.answer("GET", file_url("patients"), ndjson(resources("Patient", 1)))
    session.answer("DELETE", STATUS, Reply(202))
    return session


def walk(client, *, group_id="panel-1", since=None, resume=None, page_size=2, scope="system/*.rs"):
    config = launch_config(group_id=group_id, backend_scope=scope)
    return population_pages(
        client, config, types=SYNC_TYPES, since=since or NO_MARKS, resume=resume, page_size=page_size
    )


def summary(pages) -> list[tuple]:
    return [
        (p.resource_type, [r["id"] for r in p.resources], p.resume.get("file"), p.resume.get("line"))
        for p in pages
    ]


def test_an_export_is_kicked_off_polled_read_in_pages_and_deleted(client, export, waits):
    pages = list(walk(client))

    assert pages[0].resource_type == "" and pages[0].resume == {
        "strategy": "bulk_export",
        "status": STATUS,
        "file": 0,
        "line": 0,
    }  # the job's status URL is stored before anything else
    assert summary(pages[1:-1]) == [
        ("ServiceRequest", ["servicerequest-0", "servicerequest-1"], 0, 2),
        ("ServiceRequest", ["servicerequest-2", "servicerequest-3"], 0, 4),
        ("ServiceRequest", ["servicerequest-4"], 1, 0),
        ("Task", ["task-0", "task-1"], 1, 2),
        ("", [], 2, 0),  # the file ended on a full page: only the resume point moves on
        ("Patient", ["patient-0"], 3, 0),  # the Patients after the rows their names go to
    ]
    assert pages[-1].resume == {} and pages[-1].watermarks == dict.fromkeys(
        SYNC_TYPES, datetime(2026, 12, 1, 10, tzinfo=UTC)
    )
    assert waits == [3.0]  # the EHR's Retry-After
    assert export.urls("DELETE") == [STATUS]


def test_the_kick_off_names_the_types_the_since_and_the_referral_filter(client, export):
    since = dict.fromkeys(SYNC_TYPES, datetime(2026, 11, 1, tzinfo=UTC)) | {
        "Task": datetime(2026, 10, 1, tzinfo=UTC)
    }

    list(
        walk(client, since=since, scope="system/ServiceRequest.rs system/Practitioner.read system/Patient.rs")
    )

    method, url, headers = export.sent[0]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(KICK_OFF) and headers["Prefer"] == "respond-async"
    assert query["_type"] == [",".join([*SYNC_TYPES, "Patient", "Practitioner"])]  # no PractitionerRole scope
    assert query["_since"] == ["2026-09-30T23:55:00Z"]  # the oldest watermark, less the overlap
    assert query["_typeFilter"] == ["ServiceRequest?category=http://snomed.info/sct|3457005"]


def test_since_and_type_filter_are_sent_only_where_the_vendor_takes_them(client, export, monkeypatch):
    use_rules(monkeypatch, vendor_rules("bulk_export", bulk_params=("_type",)))
    since = dict.fromkeys(SYNC_TYPES, datetime(2026, 11, 1, tzinfo=UTC))

    list(walk(client, since=since))

    assert set(parse_qs(urlsplit(export.sent[0][1]).query)) == {"_type"}


def test_a_type_never_synced_means_a_full_export(client, export):
    list(walk(client, since=dict.fromkeys(SYNC_TYPES, datetime(2026, 11, 1, tzinfo=UTC)) | {"Task": None}))

    assert "_since" not in parse_qs(urlsplit(export.sent[0][1]).query)


def test_a_resumed_export_polls_the_stored_job_and_skips_what_was_stored(client, export):
    resume = {"strategy": "bulk_export", "status": STATUS, "file": 0, "line": 4}

    pages = list(walk(client, resume=resume))

    assert KICK_OFF not in [url.split("?")[0] for url in export.urls()]  # never a second job
    assert summary(pages[:2]) == [
        ("ServiceRequest", ["servicerequest-4"], 1, 0),
        ("Task", ["task-0", "task-1"], 1, 2),
    ]


def test_a_resume_point_of_another_strategy_is_ignored(client, export):
    pages = walk(client, resume={"strategy": "system_search", "walks": {}})

    assert next(pages).resume["status"] == STATUS
    assert export.urls()[0].startswith(KICK_OFF)


def test_a_retry_after_longer_than_the_run_may_wait_ends_the_run_pending(client, export, waits, settings):
    settings.EHR_BULK_WAIT_SECONDS = 60
    export.answer(
        "GET", STATUS, Reply(202, headers={"Retry-After": "20"}), Reply(202, headers={"Retry-After": "600"})
    )
    pages = walk(client)
    assert next(pages).resume["status"] == STATUS

    with pytest.raises(PopulationPending) as raised:
        next(pages)

    assert waits == [20.0] and raised.value.retry_after == 600.0


def test_without_retry_after_the_polls_back_off(client, export, waits):
    export.answer("GET", STATUS, Reply(202), Reply(202), Reply(202), manifest())

    list(walk(client))

    assert waits == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("failure", [outcome("exception", 500), Reply(404)], ids=["failed-job", "job-gone"])
def test_a_failed_job_drops_the_resume_point_so_the_next_run_starts_again(client, export, failure):
    export.answer("GET", STATUS, failure)
    pages = walk(client, resume={"strategy": "bulk_export", "status": STATUS, "file": 1, "line": 0})

    assert next(pages).resume == {}
    with pytest.raises(ExportRestart):
        next(pages)
    assert export.urls("DELETE") == [STATUS] and not [u for u in export.urls() if u.startswith(KICK_OFF)]


def test_an_expired_file_drops_the_resume_point(client, export):
    export.answer("GET", file_url("tasks"), Reply(410))
    seen = []

    with pytest.raises(ExportRestart):
        for page in walk(client):
            seen.append(page.resume)

    assert seen[-1] == {}
    assert export.urls("DELETE") == [STATUS]  # the expired job is let go


def test_a_429_at_kick_off_stores_nothing(client, export):
    export.answer("GET", KICK_OFF, Reply(429, headers={"Retry-After": "300"}))

    with pytest.raises(EhrError) as raised:
        next(walk(client))

    assert raised.value.retry_after == 300


def test_a_foreign_file_url_is_refused_and_never_fetched(client, export):
    foreign = "https://files.example.net/job-1/referrals.ndjson"
    body = {
        "transactionTime": DONE,
        "requiresAccessToken": False,
        "output": [{"type": "ServiceRequest", "url": foreign}],
    }
    export.answer("GET", STATUS, fhir(body))

    with pytest.raises(EhrBadResponse):
        list(walk(client))

    assert not [url for url in export.urls() if url.startswith("https://files.")]


def test_without_a_group_an_export_cannot_start(client, export):
    with pytest.raises(EhrError):
        next(walk(client, group_id=""))
    assert export.sent == []


def test_a_huge_file_is_streamed_not_read_whole(client, export):
    line = (
        json.dumps({"resourceType": "ServiceRequest", "id": "sr", "note": [{"text": "x" * 900}]}).encode()
        + b"\n"
    )

    def endless_file():  # 100 lines per chunk, 100,000 chunks: about 10 GB if read whole
        for _ in range(100_000):
            yield line * 100

    export.answer("GET", file_url("referrals"), Reply(200, endless_file()))
    pages = walk(client, page_size=50)

    first = next(page for page in pages if page.resource_type == "ServiceRequest")

    assert len(first.resources) == 50
    assert export.responses[-1].chunks_read == 1  # one chunk of the file, not the file
    pages.close()
    assert export.responses[-1].closed


def test_the_watermark_is_the_export_time_so_the_next_export_reads_what_changed_during_it(client, export):
    late = {"resourceType": "Task", "id": "task-late", "meta": {"lastUpdated": "2026-12-01T10:30:00Z"}}
    export.answer("GET", file_url("tasks"), ndjson([late]))  # changed after the export's snapshot time
    marks = list(walk(client))[-1].watermarks
    export.sent.clear()

    list(walk(client, since=marks))

    assert marks["Task"] == datetime(2026, 12, 1, 10, tzinfo=UTC)  # not the newest change seen
    assert parse_qs(urlsplit(export.sent[0][1]).query)["_since"] == ["2026-12-01T09:55:00Z"]


def _walk(config) -> list:
    return list(population_pages(None, config, types=SYNC_TYPES, since=NO_MARKS, resume=None, page_size=100))


def test_a_way_the_ehr_does_not_offer_is_refused_before_any_request(monkeypatch):
    from dataclasses import replace

    from smartapp.ehr.population import StrategyImpossible
    from smartapp.ehr.profiles.rules import SearchRule

    by_patient = (frozenset({"_id", "patient"}),)
    needs_patient = vendor_rules("per_patient")
    needs_patient = replace(
        needs_patient,
        search={t: SearchRule(r.accepted, by_patient) for t, r in needs_patient.search.items()},
    )
    use_rules(monkeypatch, needs_patient)
    with pytest.raises(StrategyImpossible):  # a search across patients, where each needs a patient
        _walk(replace(launch_config(), population="system_search"))
    with pytest.raises(StrategyImpossible):  # an export where the vendor has none
        _walk(replace(launch_config(group_id="panel-1"), population="bulk_export"))

    no_group = vendor_rules("per_patient")
    use_rules(
        monkeypatch, replace(no_group, search={t: r for t, r in no_group.search.items() if t != "Group"})
    )
    with pytest.raises(StrategyImpossible):  # a panel from a Group the vendor does not let apps read
        _walk(launch_config(group_id="panel-1"))
    assert "population" in str(StrategyImpossible())


def test_the_registration_may_choose_per_patient_at_a_bulk_vendor(client, session, monkeypatch):
    from dataclasses import replace

    use_rules(monkeypatch, vendor_rules("bulk_export", bulk_params=("_type",)))
    for resource_type in SYNC_TYPES:
        session.answer("GET", f"{BASE}/{resource_type}", bundle([]))
    config = replace(launch_config(), population="per_patient")
    pages = population_pages(
        client,
        config,
        types=SYNC_TYPES,
        since=NO_MARKS,
        resume=None,
        page_size=100,
        known_patients=["p-1"].copy,
    )

    assert [page.resource_type for page in pages if page.resource_type] == list(SYNC_TYPES)
    assert all("patient=p-1" in url for url in session.urls())  # no kick-off: a search per type
