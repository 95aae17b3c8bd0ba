"""The vendor tables are complete (a source for every rule) and executable (only parameters the sandbox
can run), and the plain sandbox's table is its catalog."""

import pytest

from smartapp.sandbox.fhir import catalog
from smartapp.sandbox.vendors import VENDORS, emulation_for, rules_for
from smartapp.sandbox.vendors.emulation import Emulation
from smartapp.sandbox.vendors.rules import rule_fields

ALL = ("", *VENDORS)
APP_TYPES = {
    "Patient",
    "MedicationRequest",
    "MedicationStatement",
    "Medication",
    "AllergyIntolerance",
    "DocumentReference",
    "ServiceRequest",
    "Task",
    "Appointment",
    "Encounter",
    "Practitioner",
}


def _is_source(text: str) -> bool:
    return text.startswith(("https://", "assumption: ", "smartapp/"))


@pytest.mark.parametrize("vendor", ALL)
def test_every_rule_names_its_source(vendor):
    rules = rules_for(vendor)

    assert set(rule_fields()) <= set(rules.sources)
    assert all(_is_source(source) for source in rules.sources.values()), rules.sources
    assert all(_is_source(rule.source) for rule in rules.search.values())
    emulation_fields = set(Emulation.__dataclass_fields__) - {"sources"}
    assert emulation_fields <= set(emulation_for(vendor).sources)


@pytest.mark.parametrize("vendor", ALL)
def test_every_rule_is_one_the_sandbox_can_run(vendor):
    rules = rules_for(vendor)

    assert set(rules.search) >= APP_TYPES
    for resource_type, rule in rules.search.items():
        known = set(catalog.SEARCH_PARAMS[resource_type])
        assert rule.accepted <= known, (resource_type, rule.accepted - known)
        assert all(group <= rule.accepted for group in rule.required)
        assert rule.includes <= set(catalog.INCLUDES.get(resource_type, {}))
    assert 0 < rules.default_count <= rules.max_count


def test_the_plain_rules_are_the_catalogs():
    rules = rules_for("")

    assert rules.population == "system_search"
    assert rules.search["ServiceRequest"].accepted == set(catalog.SEARCH_PARAMS["ServiceRequest"])
    assert rules.search["ServiceRequest"].includes == set(catalog.INCLUDES["ServiceRequest"])
    assert (rules.refresh_rotates, rules.advertises_pkce, rules.client_credentials) == (True, True, True)
    assert (rules.scope_grammar, rules.tenant_scoped) == ("v2", False)


def test_the_vendors_differ_where_their_documentation_says():
    oracle, epic, athena, meditech = (rules_for(v) for v in ("oracle", "epic", "athena", "meditech"))

    assert oracle.search["ServiceRequest"].accepted == {"_id", "patient", "subject", "_lastUpdated"}
    assert oracle.search["ServiceRequest"].required == (frozenset({"_id", "patient", "subject"}),)
    assert (oracle.tenant_scoped, oracle.separate_auth_host, oracle.refresh_rotates) == (True, True, False)
    assert oracle.binary_exact_accept and oracle.population == "bulk_export"
    assert epic.fhir_user_absolute and epic.population == "bulk_export"
    assert not athena.advertises_pkce
    assert not meditech.client_credentials and meditech.scope_grammar == "v1"


def test_an_unknown_vendor_has_no_rules():
    with pytest.raises(KeyError):
        rules_for("cerner")
