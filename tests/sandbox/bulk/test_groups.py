"""The panel Groups: built from the stored patients, kept current by every load, readable over FHIR."""

import json
from datetime import date

import orjson
import pytest
from django.core.management import call_command

from smartapp.sandbox.importer import resources_import
from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic import catalog, load_all
from smartapp.sandbox.synthetic.groups import ALL_PATIENTS_ID, group_members, groups_refresh

from .conftest import BASE, Bulk

pytestmark = pytest.mark.django_db


def _patient(fhir_id: str, pcp: str | None = None) -> dict:
    body = {"resourceType": "Patient", "id": fhir_id}
    return {**body, "generalPractitioner": [{"reference": f"Practitioner/{pcp}"}]} if pcp else body


def _group(group_id: str) -> Resource:
    return Resource.objects.get(resource_type="Group", fhir_id=group_id)


def test_it_makes_a_group_of_everyone_and_one_per_primary_care_practitioner():
    for body in (
        _patient("pt-1", "pr-1"),
        _patient("pt-2", "pr-2"),
        _patient("pt-3", "pr-1"),
        _patient("pt-4"),
    ):
        save_resource(body)

    assert groups_refresh() == {"Group": 3}

    everyone = _group(ALL_PATIENTS_ID).body
    assert (everyone["type"], everyone["actual"], everyone["quantity"]) == ("person", True, 4)
    assert list(group_members(everyone)) == ["pt-1", "pt-2", "pt-3", "pt-4"]
    assert list(group_members(_group("pcp-pr-1").body)) == ["pt-1", "pt-3"]
    assert list(group_members(_group("pcp-pr-2").body)) == ["pt-2"]


def test_a_second_refresh_changes_nothing_and_a_newcomer_joins_later():
    save_resource(_patient("pt-1"))
    groups_refresh()
    first = _group(ALL_PATIENTS_ID)
    groups_refresh()
    assert _group(ALL_PATIENTS_ID).version_id == first.version_id

    save_resource(_patient("pt-2"))
    groups_refresh()

    starts = group_members(_group(ALL_PATIENTS_ID).body)
    assert starts["pt-1"] == ""  # a member of the Group as it was made
    assert starts["pt-2"] >= _group(ALL_PATIENTS_ID).body["meta"]["lastUpdated"][:19]

    save_resource(_patient("pt-3"))
    groups_refresh()
    assert group_members(_group(ALL_PATIENTS_ID).body)["pt-2"] == starts["pt-2"]  # kept


def test_the_synthetic_seed_keeps_the_groups_current():
    counts = load_all(anchor=date(2026, 1, 15))

    assert counts["Group"] == len(Resource.objects.filter(resource_type="Group"))
    assert set(catalog.PATIENT_IDS) <= set(group_members(_group(ALL_PATIENTS_ID).body))


def test_an_import_keeps_the_groups_current(tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(_patient("imported-1")))

    resources_import(paths=[path])

    assert "imported-1" in group_members(_group(ALL_PATIENTS_ID).body)


def test_the_benchmark_panel_keeps_the_groups_current():
    call_command("sandbox_panel", "seed", "--count", "4", "--anchor-date", "2026-01-15")

    assert list(group_members(_group(ALL_PATIENTS_ID).body)) == ["panel-00001", "panel-00002"]


def test_a_group_is_readable_and_searchable_with_a_system_scope(token):
    save_resource(_patient("pt-1"))
    groups_refresh()
    reader = Bulk(token("system/Group.rs"))

    read = reader.get(f"{BASE}/Group/{ALL_PATIENTS_ID}")
    found = reader.get(f"{BASE}/Group?_id={ALL_PATIENTS_ID}")

    assert read.status_code == 200
    assert orjson.loads(read.content)["member"][0]["entity"] == {"reference": "Patient/pt-1"}
    assert orjson.loads(found.content)["total"] == 1
