"""Issue 10's "done when": every Synthea R4 patient, imported into the sandbox and launched through it, gets
a chart and a patient view that read correctly to a clinician and a patient.

The Synthea records run for decades and were not made by smartapp: orders from the 1960s still marked
active, the same drug ordered again years later, raw urn:uuid references (resolved by sandbox_import).
For each patient the chart is held against a computation made here, separately, over the raw bundle.
"""

import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from html import unescape

import pytest
import requests

from smartapp.sandbox.importer import SYNTHEA_DIR, resources_import
from tests.launch.conftest import ehr_launch, sandbox_sign_in, standalone_launch

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MACHINE_TEXT = re.compile(r"Practitioner/|Patient/|Organization/|urn:uuid|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
BUNDLES = sorted(SYNTHEA_DIR.glob("*.json"))


def _raw(path) -> list[dict]:
    return [entry["resource"] for entry in json.loads(path.read_text())["entry"]]


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _expected_medicines(resources: list[dict]) -> tuple[set[str], set[str]]:
    """(names in use, names with a conflict) computed over the raw orders, independently of smartapp.chart:
    per RxNorm code the orders of the newest authoredOn speak for today; in use if one is active or on
    hold; a conflict only when today's active orders give different dosage texts."""
    orders = defaultdict(list)
    for resource in resources:
        if resource["resourceType"] == "MedicationRequest":
            coding = resource["medicationCodeableConcept"]["coding"][0]
            assert coding["system"] == RXNORM
            orders[coding["code"]].append(resource)
    in_use, conflicting = set(), set()
    for chain in orders.values():
        newest = max(_when(order["authoredOn"]) for order in chain)
        today = [order for order in chain if _when(order["authoredOn"]) == newest]
        name = today[0]["medicationCodeableConcept"]["text"]
        if any(order["status"] in ("active", "on-hold") for order in today):
            in_use.add(name)
        doses = {
            json.dumps(o.get("dosageInstruction"), sort_keys=True) for o in today if o["status"] == "active"
        }
        if len(doses) > 1:
            conflicting.add(name)
    return in_use, conflicting


def _visible_text(html: str) -> str:
    body = re.sub(r"<(script|style|head)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def _in_use_rows(html: str) -> list[str]:
    table = re.search(r'<table class="medications">.*?</table>', html, re.S)
    return (
        re.findall(r"<tr class=\"status-[^\"]*\">\s*<td><strong>(.*?)</strong>", table.group(0))
        if table
        else []
    )


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda path: f"synthea-{BUNDLES.index(path) + 1:02d}")
def test_a_synthea_patient_chart_and_own_view_read_correctly(app_url, bundle):
    resources_import(paths=[bundle])
    synthea_app = app_url
    resources = _raw(bundle)
    patient_id = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    in_use, conflicting = _expected_medicines(resources)

    with requests.Session() as clinician:
        chart = ehr_launch(clinician, synthea_app, patient_id)
        assert chart.status_code == 200 and "/chart/" in chart.url
        print_view = clinician.get(chart.url.rstrip("/") + "/print/")
    with requests.Session() as patient:
        sandbox_sign_in(patient, synthea_app, f"Patient/{patient_id}")
        own_view = standalone_launch(patient, synthea_app, "patient")
        assert own_view.status_code == 200 and "/me/" in own_view.url

    assert in_use, "every Synthea fixture patient has a medicine in use"
    assert sorted(map(unescape, _in_use_rows(chart.text))) == sorted(in_use)
    shown_conflicts = {unescape(name) for name in _in_use_rows(chart.text) if name in conflicting}
    assert chart.text.count('class="conflict"') == len(shown_conflicts) == len(conflicting)
    for page in (chart, print_view, own_view):
        assert page.status_code == 200
        assert not MACHINE_TEXT.findall(_visible_text(page.text))
    assert "Could not be loaded" not in chart.text + own_view.text
