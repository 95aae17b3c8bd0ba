"""The vendor rule tables (ehr/profiles/): the flags derive from them, query_problem reads them, and every
query the app sends a vendor (sync and chart) is one its table takes."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartapp.chart.note_fetch import note_query
from smartapp.chart.sections import EMPTY, NOT_GRANTED, chart_queries, fetch_chart
from smartapp.ehr.bundles import SearchResult
from smartapp.ehr.profiles import PROFILES, profile_for
from smartapp.ehr.profiles.markdown import rules_markdown
from smartapp.ehr.profiles.rules import VendorRules, rule_fields, search_rule
from smartapp.ehr.profiles.validity import query_problem
from smartapp.ehr.sync_queries import incremental_query
from smartapp.referrals.sync import SYNC_TYPES
from tests.ehr.auth_fakes import make_config

ISS = "https://ehr.example.org/fhir/R4"
WATERMARK = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
VENDORS = list(PROFILES)


def rules_of(vendor: str) -> VendorRules:
    return profile_for(make_config(ISS, vendor=vendor)).rules


def small_rules(**changes) -> VendorRules:
    base = {
        "vendor": "test",
        "search": {
            "ServiceRequest": search_rule(
                "_id patient status _lastUpdated", "_id patient", includes="ServiceRequest:patient"
            )
        },
        "max_count": 100,
        "default_count": 50,
        "population": "per_patient",
        "bulk_params": frozenset(),
        "sorts_by_last_updated": False,
        "refresh_rotates": True,
        "advertises_pkce": True,
        "client_credentials": False,
        "fhir_user_absolute": False,
        "scope_grammar": "v2",
        "tenant_scoped": False,
        "separate_auth_host": False,
        "binary_exact_accept": False,
    }
    return VendorRules(**(base | changes))


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_profile_names_its_own_table_with_a_source_for_every_rule(vendor):
    rules = rules_of(vendor)

    assert rules.vendor == vendor
    assert sorted(rules.sources) == sorted(rule_fields())
    assert all(text.startswith(("https://", "assumption:")) for text in rules.sources.values())
    assert all(rule.source.startswith(("https://", "assumption:")) for rule in rules.search.values())


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_profile_flags_are_read_from_the_table(vendor):
    profile, rules = profile_for(make_config(ISS, vendor=vendor)), rules_of(vendor)

    assert profile.keeps_refresh_token_on_refresh is not rules.refresh_rotates
    assert profile.advertises_pkce is rules.advertises_pkce
    assert profile.sorts_by_last_updated is rules.sorts_by_last_updated
    takes_category = "category" in rules.search["ServiceRequest"].accepted
    assert bool(profile.referral_category) is takes_category


def test_each_vendor_gets_its_population_strategy():
    strategies = {vendor: rules_of(vendor).population for vendor in VENDORS}

    assert strategies == {
        "sandbox": "system_search",
        "smart_launcher": "system_search",
        "epic": "bulk_export",
        "oracle": "bulk_export",
        "athena": "per_patient",
        "meditech": "per_patient",
    }
    assert not rules_of("meditech").client_credentials  # its sync uses a coordinator's offline grant


def test_the_vendor_quirks_come_from_the_tables():
    oracle, athena, sandbox = (
        profile_for(make_config(ISS, vendor=v)) for v in ("oracle", "athena", "sandbox")
    )

    assert oracle.keeps_refresh_token_on_refresh and oracle.referral_category == ""
    assert oracle.rules.tenant_scoped and oracle.rules.separate_auth_host and oracle.rules.binary_exact_accept
    assert not athena.advertises_pkce
    assert sandbox.patient_includes == {
        "ServiceRequest": "ServiceRequest:patient",
        "Encounter": "Encounter:patient",
    }
    assert sandbox.people_includes == {
        "ServiceRequest": ("ServiceRequest:requester", "ServiceRequest:performer"),
        "DocumentReference": ("DocumentReference:author",),
    }
    assert oracle.patient_includes == {} and oracle.people_includes == {}


@pytest.mark.parametrize(
    ("resource_type", "params", "complaint"),
    [
        ("Task", [("patient", "p")], "cannot search Task"),
        ("ServiceRequest", [("category", "Smith")], "does not accept category"),
        ("ServiceRequest", [("status", "active")], "needs one of ['_id', 'patient']"),
        ("ServiceRequest", [("patient", "p"), ("_count", "101")], "_count up to 100"),
        ("ServiceRequest", [("patient", "p"), ("_count", "-1")], "_count up to 100"),
        ("ServiceRequest", [("patient", "p"), ("_include", "ServiceRequest:requester")], "_include"),
        ("ServiceRequest", [("patient", "p"), ("_sort", "_lastUpdated")], "does not sort"),
    ],
)
def test_query_problem_says_why_a_vendor_would_refuse(resource_type, params, complaint):
    problem = query_problem(small_rules(), resource_type, params)

    assert complaint in problem
    assert "Smith" not in problem  # the values never reach the message (they may be identifiers)


def test_query_problem_takes_what_the_table_allows():
    rules = small_rules(sorts_by_last_updated=True)
    params = [
        ("subject:Patient", "p"),
        ("patient", "p"),
        ("_lastUpdated", "ge2024-01-01T00:00:00Z"),
        ("_include", "ServiceRequest:patient"),
        ("_sort", "_lastUpdated"),
        ("_count", "100"),
    ]

    assert query_problem(rules, "ServiceRequest", params[1:]) is None
    assert "subject" in query_problem(rules, "ServiceRequest", params)  # a modifier keeps its parameter


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_sync_query_the_app_sends_is_one_the_vendor_takes(vendor):
    config, rules = make_config(ISS, vendor=vendor), rules_of(vendor)
    patient = "" if rules.population == "system_search" else "p-1"
    refused = set()
    for resource_type in (t for t in SYNC_TYPES if t in rules.search):
        for since in (None, WATERMARK):
            try:
                query = incremental_query(config, resource_type, since=since, patient=patient)
            except ValueError:
                refused.add(resource_type)
                continue
            assert query_problem(rules, resource_type, query.params) is None
            assert dict(query.params)["_count"] == str(min(100, rules.max_count))
    # Oracle takes a patient's Appointments only within a date range: its sync gets them by Bulk export.
    assert refused == ({"Appointment"} if vendor == "oracle" else set())


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_chart_query_is_one_the_vendor_takes(vendor):
    rules = rules_of(vendor)
    queries = chart_queries("p-1", rules=rules)

    assert [q.name for q in queries] == [q.name for q in chart_queries("p-1")]
    for query in queries:
        assert query.searchable is (query.resource_type in rules.search)
        if query.searchable:
            assert query_problem(rules, query.resource_type, query.params) is None
    assert query_problem(rules, "DocumentReference", note_query("doc-1", "p-1", rules)) is None


def test_the_chart_leaves_out_what_a_vendor_does_not_support():
    oracle = {q.name: q for q in chart_queries("p-1", rules=rules_of("oracle"))}
    sandbox = {q.name: q for q in chart_queries("p-1", rules=rules_of("sandbox"))}

    assert "_include" not in dict(oracle["allergies"].params) and ("_count", "100") in oracle["notes"].params
    assert ("_include", "DocumentReference:author") in sandbox["notes"].params
    assert note_query("d", "p", rules_of("oracle")) == [("_id", "d"), ("patient", "p")]
    unsearchable = small_rules()
    assert not any(q.searchable for q in chart_queries("p-1", rules=unsearchable))


class RecordingClient:
    def __init__(self):
        self.searched = []

    def search(self, resource_type, params):
        self.searched.append(resource_type)
        return SearchResult([], [], [], False, 1)

    def read(self, resource_type, resource_id):
        return {"resourceType": "Patient", "id": resource_id}


def test_a_type_the_vendor_cannot_search_is_not_asked_and_reads_as_not_shared():
    rules = small_rules(search={"AllergyIntolerance": search_rule("_id patient", "_id patient")})
    client = RecordingClient()

    _, found = fetch_chart(
        client, patient_id="p-1", queries=chart_queries("p-1", rules=rules), granted_scope="patient/*.rs"
    )

    assert client.searched == ["AllergyIntolerance"]
    assert found["allergies"].state == EMPTY
    assert {found[name].state for name in ("medication_requests", "medication_statements", "notes")} == {
        NOT_GRANTED
    }


@pytest.mark.parametrize("vendor", VENDORS)
def test_docs_vendors_shows_each_table_as_the_code_has_it(vendor):
    page = (Path(__file__).resolve().parents[2] / "docs" / "vendors.md").read_text()

    assert rules_markdown(vendor, rules_of(vendor)) in page
