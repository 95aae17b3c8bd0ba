"""Sections other modules add to the chart, found by name in settings.CHART_EXTRA_SECTIONS (STYLE.md
convention 8): a misconfiguration fails loudly, a provider's failure or broken answer costs only its
section, and the chart never imports the modules that provide them."""

import ast
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from smartapp.chart.extra_sections import extra_sections

pytestmark = pytest.mark.django_db  # each provider runs in a savepoint

CHART = Path(__file__).resolve().parents[2] / "smartapp" / "chart"
TODAY = date(2026, 5, 1)
calls = []


@dataclass(frozen=True)
class Answer:
    template: str = "x.html"
    resource_types: tuple = ("ServiceRequest",)
    shown: int = 1


def answering_provider(*, connection, patient_id, today):
    calls.append((connection, patient_id, today))
    return Answer()


def malformed_provider(*, connection, patient_id, today):
    return {"template": "x.html"}  # not the contract: attributes, not keys


def _entry(provider: str, **changes) -> dict:
    return {
        "provider": f"tests.chart.test_extra_sections.{provider}",
        "title": "Extra",
        "unavailable": "Gone",
    }


def test_a_provider_is_called_with_the_launchs_connection_patient_and_day(settings):
    settings.CHART_EXTRA_SECTIONS = [_entry("answering_provider")]
    calls.clear()

    [section] = extra_sections(connection="ehr-a", patient_id="p-1", today=TODAY)

    assert calls == [("ehr-a", "p-1", TODAY)]
    assert section.key == "extra" and not section.failed and section.data == Answer()


def test_an_answer_outside_the_contract_is_shown_as_unavailable(settings):
    settings.CHART_EXTRA_SECTIONS = [_entry("malformed_provider")]

    [section] = extra_sections(connection="ehr-a", patient_id="p-1", today=TODAY)

    assert section.failed and section.unavailable == "Gone"


@pytest.mark.parametrize(
    "configured",
    [
        [{"provider": "tests.chart.test_extra_sections.answering_provider", "title": "Extra"}],
        [{"provider": "tests.chart.no_such_module.provider", "title": "Extra", "unavailable": "Gone"}],
        ["tests.chart.test_extra_sections.answering_provider"],
    ],
)
def test_a_misconfigured_section_fails_loudly(settings, configured):
    settings.CHART_EXTRA_SECTIONS = configured

    with pytest.raises(ImproperlyConfigured):
        extra_sections(connection="ehr-a", patient_id="p-1", today=TODAY)


def test_the_chart_names_the_follow_up_provider_only_in_settings():
    # The architecture test forbids importing referrals; this also rules out reaching it by a string.
    mentions = [
        path.name
        for path in CHART.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "smartapp.referrals" in node.value
    ]
    assert mentions == []
