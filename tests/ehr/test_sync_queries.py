"""Incremental sync queries: the watermark overlap, only what the vendor's table accepts, the sandbox."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from smartapp.ehr import configs
from smartapp.ehr.backend_services import forget_system_tokens, system_client
from smartapp.ehr.sync_queries import (
    _patient_params,
    fhir_instant,
    incremental_query,
    last_updated,
    newest_update,
    searchable,
)
from smartapp.sandbox.auth import clients
from smartapp.sandbox.store import save_resource
from tests.ehr.auth_fakes import clean_cache, make_config  # noqa: F401 (fixture)

ISS = "https://ehr.example.org/fhir/R4"
WATERMARK = datetime(2024, 5, 1, 12, 0, 30, 999_000, tzinfo=UTC)
REFERRAL = "http://snomed.info/sct|3457005"


def test_the_query_starts_five_minutes_before_the_watermark():
    query = incremental_query(make_config(ISS), "Task", since=WATERMARK)

    assert query.params == [("_lastUpdated", "ge2024-05-01T11:55:30Z"), ("_count", "100")]
    assert query.resource_type == "Task" and query.ordered is False and query.incremental is True


def test_a_first_per_patient_sync_narrows_referrals_by_category_where_the_vendor_takes_it():
    query = incremental_query(
        make_config(ISS, vendor="epic"), "ServiceRequest", since=None, patient="p-1", page_size=50
    )

    assert query.params == [("patient", "p-1"), ("category", REFERRAL), ("_count", "50")]


def test_oracle_gets_no_category_no_include_and_no_sort_but_its_last_updated():
    query = incremental_query(
        make_config(ISS, vendor="oracle"), "ServiceRequest", since=WATERMARK, patient="p-1"
    )

    assert query.params == [("_lastUpdated", "ge2024-05-01T11:55:30Z"), ("patient", "p-1"), ("_count", "100")]


def test_patients_are_included_only_where_the_vendor_supports_it():
    sandbox = incremental_query(make_config(ISS), "ServiceRequest", since=None)
    epic = incremental_query(make_config(ISS, vendor="epic"), "ServiceRequest", since=None, patient="p-1")

    assert ("_include", "ServiceRequest:patient") in sandbox.params
    assert "_include" not in dict(epic.params)
    assert "_include" not in dict(incremental_query(make_config(ISS), "Task", since=None).params)


def test_sort_is_sent_only_to_a_server_known_to_sort_by_last_updated():
    query = incremental_query(make_config(ISS, vendor="smart_launcher"), "Encounter", since=WATERMARK)

    assert ("_sort", "_lastUpdated") in query.params and query.ordered is True
    for vendor in ("sandbox", "epic", "oracle", "athena", "meditech"):
        config = make_config(ISS, vendor=vendor)
        params = incremental_query(config, "Encounter", since=WATERMARK, patient="p-1").params
        assert "_sort" not in dict(params)


@pytest.mark.parametrize("vendor", ["epic", "oracle", "athena", "meditech"])
def test_a_system_wide_search_of_a_patient_scoped_type_is_refused_before_it_is_sent(vendor):
    with pytest.raises(ValueError, match="needs one of") as refused:
        incremental_query(make_config(ISS, vendor=vendor), "ServiceRequest", since=WATERMARK)
    assert vendor in str(refused.value) and "patient" in str(refused.value)


def test_a_type_the_vendor_cannot_search_is_refused():
    athena = make_config(ISS, vendor="athena")  # its Group only takes `$export`

    assert not searchable(athena, "Group") and searchable(athena, "ServiceRequest")
    with pytest.raises(ValueError, match="athena cannot search Group"):
        incremental_query(athena, "Group", since=None, patient="p-1")


def test_a_required_parameter_the_sync_cannot_supply_is_refused():
    oracle = make_config(ISS, vendor="oracle")
    # Oracle takes a patient's Appointments only within a date range, which a watermark is not.
    with pytest.raises(ValueError, match="date"):
        incremental_query(oracle, "Appointment", since=None, patient="p-1")

    assert searchable(oracle, "Appointment") and not searchable(oracle, "Appointment", per_patient=True)
    assert searchable(oracle, "Encounter", per_patient=True)
    assert not searchable(oracle, "Encounter", per_patient=False)  # never system-wide
    assert searchable(make_config(ISS), "Encounter", per_patient=False)


def test_a_type_without_last_updated_is_read_whole_and_says_so():
    query = incremental_query(
        make_config(ISS, vendor="oracle"), "DocumentReference", since=WATERMARK, patient="p-1"
    )

    assert "_lastUpdated" not in dict(query.params) and query.incremental is False
    first = incremental_query(make_config(ISS, vendor="oracle"), "DocumentReference", since=None, patient="p")
    assert first.incremental is True  # a first sync reads everything anyway


def test_the_page_size_is_clamped_to_the_vendors_largest_page():
    oracle = incremental_query(
        make_config(ISS, vendor="oracle"), "Encounter", since=None, patient="p-1", page_size=500
    )
    sandbox = incremental_query(make_config(ISS), "Encounter", since=None, page_size=500)

    assert dict(oracle.params)["_count"] == "100" and dict(sandbox.params)["_count"] == "500"


def test_a_type_taking_only_subject_gets_the_patient_as_a_subject_reference():
    assert _patient_params(frozenset({"_id", "subject"}), "p-1") == [("subject", "Patient/p-1")]
    assert _patient_params(frozenset({"patient", "subject"}), "p-1") == [("patient", "p-1")]
    assert _patient_params(frozenset({"patient"}), "") == []


def test_a_patient_sync_names_the_patient_and_refuses_what_is_not_an_id():
    query = incremental_query(make_config(ISS), "Appointment", since=None, patient="p-1")
    assert ("patient", "p-1") in query.params

    with pytest.raises(ValueError):
        incremental_query(make_config(ISS), "Appointment", since=None, patient="p-1&_id=x")


def test_instants_are_utc_to_the_second_and_need_a_time_zone():
    eastern = timezone(timedelta(hours=-4))

    assert fhir_instant(datetime(2024, 5, 1, 8, 0, 0, 500_000, tzinfo=eastern)) == "2024-05-01T12:00:00Z"
    with pytest.raises(ValueError):
        fhir_instant(datetime(2024, 5, 1, 12, 0))


def test_the_newest_last_updated_of_a_page_is_its_candidate_watermark():
    page = [
        {"meta": {"lastUpdated": "2024-05-01T12:00:00.123+00:00"}},
        {"meta": {"lastUpdated": "2024-05-02T08:00:00Z"}},
        {"meta": {"lastUpdated": "2024-05-03"}},  # not an instant: ignored
        {"meta": "broken"},
        {},
    ]

    assert newest_update(page) == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert last_updated(page[3]) is None and newest_update([]) is None


@pytest.fixture
def sandbox(live_server, settings, transactional_db, clean_cache):  # noqa: F811
    settings.APP_ORIGIN = live_server.url
    clients.register_default_backend([live_server.url])
    forget_system_tokens()
    yield configs.by_name("sandbox")
    forget_system_tokens()


def _service_request(sr_id: str, *, referral: bool, updated: datetime) -> None:
    code = "3457005" if referral else "108252007"  # patient referral / laboratory procedure
    body = {
        "resourceType": "ServiceRequest",
        "id": sr_id,
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": code}]}],
        "subject": {"reference": "Patient/p-1"},
    }
    save_resource(body, last_updated=updated)


def test_the_sandbox_answers_only_referrals_changed_since_the_watermark(sandbox):
    now = datetime.now(UTC)
    _service_request("sr-old", referral=True, updated=now - timedelta(days=2))
    _service_request("sr-overlap", referral=True, updated=now - timedelta(hours=1, minutes=3))
    _service_request("sr-new", referral=True, updated=now - timedelta(minutes=10))
    _service_request("sr-lab", referral=False, updated=now - timedelta(minutes=10))
    query = incremental_query(sandbox, "ServiceRequest", since=now - timedelta(hours=1), page_size=1)

    pages = list(system_client(sandbox).search_pages(query.resource_type, query.params))

    assert sorted(r["id"] for page in pages for r in page.matches) == ["sr-new", "sr-overlap"]
    assert len(pages) == 2
