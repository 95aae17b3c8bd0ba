"""The app's vendor tables (smartapp.ehr.profiles) and the sandbox's emulation (smartapp.sandbox.vendors)
keep separate copies of each vendor's rules (STYLE.md convention 11); this holds them to the same rules.

Only this test imports both sides (tests/test_architecture.py keeps the app and the sandbox apart). It also
sends every query the app builds for a vendor (sync and chart) through the sandbox's copy of the rules,
so a rule one side got wrong shows up as a refused query, not only as a differing field.
"""

from dataclasses import fields

import pytest

from smartapp.chart.note_fetch import note_query
from smartapp.chart.sections import chart_queries
from smartapp.ehr.profiles import PROFILES
from smartapp.ehr.profiles.rules import VendorRules as AppRules
from smartapp.ehr.profiles.rules import rule_fields
from smartapp.ehr.profiles.validity import query_problem
from smartapp.ehr.sync_queries import incremental_query
from smartapp.referrals.sync import SYNC_TYPES
from smartapp.sandbox.vendors import rules_for
from tests.ehr.auth_fakes import make_config

# app profile name -> sandbox emulation name ("" is the plain sandbox)
PAIRS = {"sandbox": "", "epic": "epic", "oracle": "oracle", "athena": "athena", "meditech": "meditech"}
FLAGS = [name for name in rule_fields() if name != "search"]
ISS = "https://ehr.example.org/fhir/R4"


def app_rules(vendor: str) -> AppRules:
    return PROFILES[vendor].rules


def pairs():
    return [pytest.param(app, sandbox, id=app) for app, sandbox in PAIRS.items()]


@pytest.mark.parametrize(("app", "sandbox"), pairs())
def test_both_sides_search_the_same_types(app, sandbox):
    assert sorted(app_rules(app).search) == sorted(rules_for(sandbox).search)


@pytest.mark.parametrize(("app", "sandbox"), pairs())
@pytest.mark.parametrize("part", ["accepted", "required", "includes"])
def test_both_sides_take_the_same_parameters_per_type(app, sandbox, part):
    mine, theirs = app_rules(app).search, rules_for(sandbox).search
    differing = {
        resource_type: (_part(mine[resource_type], part), _part(theirs[resource_type], part))
        for resource_type in set(mine) & set(theirs)
        if _part(mine[resource_type], part) != _part(theirs[resource_type], part)
    }
    assert differing == {}, f"app vs sandbox {part}, per type"


@pytest.mark.parametrize(("app", "sandbox"), pairs())
@pytest.mark.parametrize("flag", FLAGS)
def test_both_sides_agree_on_every_other_rule(app, sandbox, flag):
    assert getattr(app_rules(app), flag) == getattr(rules_for(sandbox), flag)


def test_the_two_shapes_have_the_same_fields():
    from smartapp.sandbox.vendors.rules import VendorRules as SandboxRules

    assert [f.name for f in fields(AppRules)] == [f.name for f in fields(SandboxRules)]


@pytest.mark.parametrize("sandbox", list(PAIRS.values()))
def test_every_sandbox_rule_names_its_source(sandbox):
    rules = rules_for(sandbox)
    assert _unsourced(rules) == []


@pytest.mark.parametrize("app", list(PROFILES))
def test_every_app_rule_names_its_source(app):
    assert _unsourced(app_rules(app)) == []


@pytest.mark.parametrize(("app", "sandbox"), pairs())
def test_the_sandbox_emulation_takes_every_query_the_app_sends(app, sandbox):
    refused = [
        (resource_type, problem)
        for resource_type, params in _app_queries(app)
        if (problem := query_problem(rules_for(sandbox), resource_type, params))
    ]
    assert refused == []


def _app_queries(vendor: str):
    """Every search the app sends this vendor: the sync's (by its population strategy), the chart's."""
    config, rules = make_config(ISS, vendor=vendor), app_rules(vendor)
    patient = "" if rules.population == "system_search" else "p-1"
    for resource_type in (t for t in SYNC_TYPES if t in rules.search):
        for since in (None, _watermark()):
            try:
                query = incremental_query(config, resource_type, since=since, patient=patient)
            except ValueError:
                continue  # refused before sending: tests/ehr/test_vendor_rules.py lists which
            yield resource_type, query.params
    for query in chart_queries("p-1", rules=rules):
        if query.searchable:
            yield query.resource_type, query.params
    yield "DocumentReference", note_query("doc-1", "p-1", rules)


def _watermark():
    from datetime import UTC, datetime

    return datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _part(rule, part: str):
    value = getattr(rule, part)
    return sorted(sorted(group) for group in value) if part == "required" else sorted(value)


def _unsourced(rules) -> list[str]:
    """Fields (and searchable types) whose source is neither a URL nor an explicit assumption."""
    missing = [name for name in rule_fields() if not _is_source(rules.sources.get(name, ""))]
    missing += [f"search.{t}" for t, rule in rules.search.items() if not _is_source(rule.source)]
    return missing


def _is_source(text: str) -> bool:
    return isinstance(text, str) and (
        text.startswith(("https://", "http://")) or text.startswith("assumption:")
    )
