"""ehr/population: the per-patient walk over a panel, and the system-wide search walk (fake session)."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.population import population_pages
from tests.ehr.bulk_fakes import (
    BASE,
    SYNC_TYPES,
    FakeSession,
    bundle,
    fhir,
    launch_config,
    use_rules,
    vendor_rules,
)

GROUP = f"{BASE}/Group/panel-1"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
MARKS = dict.fromkeys(SYNC_TYPES, SINCE)


def member(reference: str, **more) -> dict:
    return {"entity": {"reference": reference}, **more}


@pytest.fixture
def session():
    return FakeSession()


@pytest.fixture
def client(session):
    return EhrClient(base_url=BASE, access_token="token-1", session=session)


@pytest.fixture
def panel(monkeypatch, session):
    """A per-patient vendor; Group panel-1 of p-2, p-1, an inactive p-3, a practitioner and p-4 (absolute);
    every search answers one resource of the patient asked for, in a Bundle stamped with the server's time."""
    use_rules(monkeypatch, vendor_rules("per_patient"))
    members = [
        member("Patient/p-2"),
        member("Patient/p-1"),
        member("Patient/p-3", inactive=True),
        member("Practitioner/doc-1"),
        member(f"{BASE}/Patient/p-4"),
    ]
    session.answer("GET", GROUP, fhir({"resourceType": "Group", "id": "panel-1", "member": members}))
    for resource_type in SYNC_TYPES:
        session.answer("GET", f"{BASE}/{resource_type}", lambda url, t=resource_type: _one_of(url, t))
    return session


def _one_of(url: str, resource_type: str):
    patient = parse_qs(urlsplit(url).query)["patient"][0]
    changed = {"lastUpdated": "2026-12-01T10:30:00Z"}  # changed while the walk ran
    resource = {"resourceType": resource_type, "id": f"{resource_type}-{patient}", "meta": changed}
    return bundle([resource], server_time="2026-12-01T09:00:00Z")


def searches(session) -> list[tuple[str, str]]:
    """(patient, type) of each search, in order."""
    found = []
    for url in session.urls():
        path, query = urlsplit(url).path, parse_qs(urlsplit(url).query)
        if "patient" in query:
            found.append((query["patient"][0], path.rsplit("/", 1)[1]))
    return found


def walk(client, *, group_id="panel-1", resume=None, known=tuple, since=MARKS):
    config = launch_config(group_id=group_id)
    return population_pages(
        client, config, types=SYNC_TYPES, since=since, resume=resume, page_size=10, known_patients=known
    )


def test_each_active_member_is_walked_in_order_type_by_type(client, panel):
    pages = list(walk(client))

    expected = [(patient, t) for patient in ("p-1", "p-2", "p-4") for t in SYNC_TYPES]
    assert searches(panel) == expected
    assert [(p.resource_type, p.resources[0]["id"]) for p in pages[:-1]] == [
        (t, f"{t}-{p}") for p, t in expected
    ]
    assert pages[1].resume == {
        "strategy": "per_patient",
        "started": "2026-12-01T09:00:00+00:00",
        "patient": "p-1",
        "type": "Task",
        "next": "",
    }


def test_the_watermark_is_the_walks_start_by_the_ehrs_clock_once_the_panel_is_done(client, panel):
    pages = list(walk(client))

    assert all(not page.watermarks for page in pages[:-1])
    assert pages[-1].resume == {}
    # 09:00, when the walk started, not 10:30, the newest change it read: a change made to p-1 while p-4
    # was being read is newer than 09:00 and is read by the next walk
    assert pages[-1].watermarks == dict.fromkeys(SYNC_TYPES, datetime(2026, 12, 1, 9, tzinfo=UTC))


def test_without_a_server_time_the_local_clock_at_the_start_is_the_watermark(client, panel):
    for resource_type in SYNC_TYPES:
        panel.answer("GET", f"{BASE}/{resource_type}", bundle([]))
    before = timezone.now()

    pages = list(walk(client))

    assert before <= pages[-1].watermarks["Task"] <= timezone.now()


def test_a_walk_resumes_after_the_patient_and_type_it_had_finished(client, panel):
    resume = {
        "strategy": "per_patient",
        "started": "2026-12-01T08:00:00+00:00",
        "patient": "p-2",
        "type": "Task",
        "next": "",
    }

    pages = list(walk(client, resume=resume))

    assert searches(panel)[0] == ("p-2", "Appointment")
    assert "p-1" not in {patient for patient, _ in searches(panel)}
    assert pages[-1].watermarks["Task"] == datetime(
        2026, 12, 1, 8, tzinfo=UTC
    )  # the interrupted walk's start


def test_a_walk_resumes_at_the_stored_page_of_a_patients_search(client, panel):
    stored = f"{BASE}/Task?patient=p-2&_page_token=2"
    panel.answer("GET", stored, bundle([{"resourceType": "Task", "id": "t-page-2"}]))
    resume = {
        "strategy": "per_patient",
        "started": "2026-12-01T08:00:00+00:00",
        "patient": "p-2",
        "type": "Task",
        "next": stored,
    }

    pages = list(walk(client, resume=resume))

    assert panel.urls()[1] == stored  # after the Group read
    assert pages[0].resources[0]["id"] == "t-page-2" and pages[0].resumed


def test_a_patient_who_left_the_panel_resumes_at_the_next_one(client, panel):
    resume = {
        "strategy": "per_patient",
        "started": "2026-12-01T08:00:00+00:00",
        "patient": "p-3",
        "type": "Task",
        "next": "",
    }

    list(walk(client, resume=resume))

    assert searches(panel)[0] == ("p-4", "ServiceRequest")


def test_a_member_who_joined_after_the_watermark_is_read_in_full(client, panel):
    members = [member("Patient/p-1"), member("Patient/p-5", period={"start": "2026-11-20T00:00:00Z"})]
    panel.answer("GET", GROUP, fhir({"resourceType": "Group", "member": members}))

    list(walk(client))

    since = {
        parse_qs(urlsplit(url).query)["patient"][0]: parse_qs(urlsplit(url).query).get("_lastUpdated")
        for url in panel.urls()
        if "patient=" in url
    }
    assert since == {"p-1": ["ge2026-10-31T23:55:00Z"], "p-5": None}


def test_without_a_group_the_panel_is_the_patients_smartapp_tracks(client, panel):
    list(walk(client, group_id="", known=lambda: ["p-9", "p-8", "not an id!", "p-9"]))

    assert GROUP not in panel.urls()
    assert [patient for patient, t in searches(panel) if t == "ServiceRequest"] == ["p-8", "p-9"]


def test_an_empty_panel_only_moves_the_watermarks(client, panel):
    pages = list(walk(client, group_id="", known=lambda: []))

    assert [(p.resource_type, p.resume) for p in pages] == [("", {})]
    assert set(pages[0].watermarks) == set(SYNC_TYPES)


def test_a_system_search_walk_keeps_an_unfinished_walk_while_it_searches_the_other_types(
    client, session, monkeypatch
):
    use_rules(monkeypatch, vendor_rules("system_search"))
    for resource_type in SYNC_TYPES:
        session.answer("GET", f"{BASE}/{resource_type}", bundle([]))
    left = f"{BASE}/DocumentReference?_page_token=3"
    note = {"resourceType": "DocumentReference", "id": "d-9", "meta": {"lastUpdated": "2026-11-20T00:00:00Z"}}
    session.answer("GET", left, bundle([note]))
    unfinished = {"next": left, "newest": "2026-11-25T00:00:00+00:00"}
    resume = {"strategy": "system_search", "walks": {"DocumentReference": unfinished}}

    pages = list(walk(client, resume=resume))

    assert [p.resume for p in pages[:-1]] == [resume] * (len(SYNC_TYPES) - 1)
    assert session.urls()[-1] == left and pages[-1].resumed
    # the walk's end: the newest change of the whole walk, the part an earlier run read included
    assert pages[-1].resume == {} and pages[-1].watermarks == {
        "DocumentReference": datetime(2026, 11, 25, tzinfo=UTC)
    }


def test_a_truncated_patient_search_earns_the_walk_no_watermark(client, panel):
    loop = f"{BASE}/Task?patient=p-1&_page_token=again"
    panel.answer("GET", loop, bundle([], next_url=loop))  # a paging cycle: the walk stops there
    panel.answer("GET", f"{BASE}/Task", lambda url: bundle([], next_url=loop) if "p-1" in url else bundle([]))

    pages = list(walk(client))

    assert any(page.truncated for page in pages)
    assert pages[-1].resume == {} and pages[-1].watermarks == {}
