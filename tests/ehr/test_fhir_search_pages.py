"""EhrClient.search_pages: one page at a time, the same next-link safety as search, resumable after a 503."""

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr.errors import EhrUnavailable
from smartapp.ehr.fhir import EhrClient
from smartapp.sandbox import faults
from smartapp.sandbox.store import save_resource
from tests.ehr.fhir_fakes import FakeEhr, entry, fhir_json, searchset

PATIENT = "pt-pages-1"
QUERY = {"patient": PATIENT, "_count": "25"}


@pytest.fixture
def client(transactional_db, fhir_base, make_token, settings):
    """A client of the live sandbox, whose session retries a 503 once, over 120 MedicationRequests."""
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    save_resource({"resourceType": "Patient", "id": PATIENT})
    for index in range(120):
        save_resource(
            {
                "resourceType": "MedicationRequest",
                "id": f"mr-{index:03d}",
                "status": "active",
                "intent": "order",
                "subject": {"reference": f"Patient/{PATIENT}"},
            }
        )
    session = outgoing_session(["127.0.0.1"], retries=1)
    return EhrClient(
        base_url=fhir_base, access_token=make_token("patient/*.rs", patient_id=PATIENT), session=session
    )


def _ids(pages) -> list[str]:
    return [resource["id"] for page in pages for resource in page.matches]


def test_it_yields_every_page_in_order_with_where_it_goes_next(client):
    pages = list(client.search_pages("MedicationRequest", QUERY))

    assert [page.number for page in pages] == [1, 2, 3, 4, 5]
    assert [len(page.matches) for page in pages] == [25, 25, 25, 25, 20]
    assert _ids(pages) == [f"mr-{index:03d}" for index in range(120)]
    assert all(page.next_url.startswith(client.base_url) for page in pages[:-1])
    assert pages[-1].next_url is None
    assert not any(page.truncated for page in pages)
    assert [page.requests for page in pages] == [1] * 5


def test_a_page_is_read_only_when_the_caller_asks_for_it(client):
    pages = client.search_pages("MedicationRequest", QUERY)

    next(pages)
    assert client.request_count == 1
    next(pages)
    assert client.request_count == 2


def test_search_reads_the_same_pages(client):
    result = client.search("MedicationRequest", QUERY)

    assert [r["id"] for r in result.matches] == _ids(client.search_pages("MedicationRequest", QUERY))
    assert result.requests == 5 and result.truncated is False


def test_a_503_mid_paging_raises_after_the_retries_with_the_url_to_resume_at(client):
    pages = client.search_pages("MedicationRequest", QUERY)
    stored = [next(pages), next(pages)]
    faults.switch_on(faults.FHIR_503, "0")

    with pytest.raises(EhrUnavailable) as raised:
        next(pages)

    assert raised.value.resume_url == stored[-1].next_url
    assert raised.value.resume_url not in str(raised.value)  # the EHR's URL stays out of messages
    faults.switch_off()
    rest = list(client.search_pages("MedicationRequest", resume=raised.value.resume_url))
    assert _ids(stored + rest) == [f"mr-{index:03d}" for index in range(120)]
    assert [page.number for page in rest] == [1, 2, 3]


def test_a_503_on_the_first_page_has_nothing_to_resume(client):
    faults.switch_on(faults.FHIR_503, "0")

    with pytest.raises(EhrUnavailable) as raised:
        next(client.search_pages("MedicationRequest", QUERY))

    assert raised.value.resume_url is None


# --- against a fake EHR: crafted next links ------------------------------------------------------------


@pytest.fixture
def fake():
    server = FakeEhr()
    yield server
    server.close()


def _fake_client(fake: FakeEhr) -> EhrClient:
    return EhrClient(base_url=fake.base_url, access_token="t", session=outgoing_session(["127.0.0.1"]))


def _page(fake: FakeEhr, path: str, fhir_id: str, next_path: str | None) -> None:
    next_url = f"{fake.origin}{next_path}" if next_path else None
    patient = {"resourceType": "Patient", "id": fhir_id}
    fake.answers[path] = fhir_json(searchset([entry(patient)], next_url))


def test_paging_stops_at_a_cycle_and_marks_the_last_page_truncated(fake):
    _page(fake, "/fhir/Patient", "p1", "/fhir/Patient?page=2")
    _page(fake, "/fhir/Patient?page=2", "p2", "/fhir/Patient?page=3")
    _page(fake, "/fhir/Patient?page=3", "p3", "/fhir/Patient?page=2")

    pages = list(_fake_client(fake).search_pages("Patient", {}))

    assert _ids(pages) == ["p1", "p2", "p3"]
    assert [page.truncated for page in pages] == [False, False, True]
    assert pages[-1].next_url is None


def test_paging_stops_at_a_next_link_off_the_base(fake):
    _page(fake, "/fhir/Patient", "p1", "/other/Patient?page=2")

    pages = list(_fake_client(fake).search_pages("Patient", {}))

    assert _ids(pages) == ["p1"] and pages[0].truncated is True
    assert fake.paths() == ["/fhir/Patient"]


def test_a_resumed_walk_still_detects_a_cycle_back_to_where_it_resumed(fake):
    _page(fake, "/fhir/Patient?page=2", "p2", "/fhir/Patient?page=3")
    _page(fake, "/fhir/Patient?page=3", "p3", "/fhir/Patient?page=2")

    pages = list(_fake_client(fake).search_pages("Patient", resume=f"{fake.base_url}/Patient?page=2"))

    assert _ids(pages) == ["p2", "p3"] and pages[-1].truncated is True


@pytest.mark.parametrize(
    "resume", ["http://127.0.0.2/fhir/Patient?page=2", "/fhir/Patient?page=2", "{origin}/other/Patient"]
)
def test_it_resumes_only_at_a_url_on_the_fhir_base(fake, resume):
    with pytest.raises(ValueError):
        next(_fake_client(fake).search_pages("Patient", resume=resume.format(origin=fake.origin)))
    assert fake.paths() == []


def test_it_takes_params_or_a_resume_url_not_both(fake):
    with pytest.raises(ValueError):
        next(_fake_client(fake).search_pages("Patient", {}, resume=f"{fake.base_url}/Patient?page=2"))
