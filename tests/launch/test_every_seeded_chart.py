"""Issue 4's "done when": launched from the sandbox, every seeded patient's chart is correct and complete.

Each patient is launched through the simulator and its chart page is read over HTTP, then held against
what the sandbox EHR stores for that patient: every medication record is a source in exactly one group,
every note (but entered-in-error ones) is listed once, every current allergy is shown, and no section
failed, was cut short or went missing.
"""

import re

from django.utils.html import escape

from smartapp.chart.allergies import NO_DATA, summarize_allergies
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch

_FAILURE_TEXTS = ("Could not be loaded", "Not shared by your EHR", "Only part of this list", "withheld")


def _stored(patient_id: str, resource_type: str) -> list[dict]:
    rows = Resource.objects.filter(resource_type=resource_type, patient_id=patient_id)
    return [row.body for row in rows]


def _medication_sources_shown(page: str) -> int:
    # Current sources, each medication's collapsed history and the past medicines: every record once.
    section = re.search(r'<section class="card" id="medications".*?</section>', page, re.S)
    return len(re.findall(r"<li>", section.group(0))) if section else 0


def _note_ids_shown(page: str, launch_path: str) -> list[str]:
    launch_id = launch_path.rstrip("/").rsplit("/", 1)[-1]
    return re.findall(rf'href="/notes/{launch_id}/([^/"]+)/"', page)


def test_every_seeded_patient_launches_to_a_complete_chart(browser, app_url):
    for patient_id in catalog.PATIENT_IDS:
        page = ehr_launch(browser, app_url, patient_id)
        assert page.status_code == 200 and "/chart/" in page.url, patient_id
        html = page.text
        assert not [text for text in _FAILURE_TEXTS if text in html], patient_id

        medications = _stored(patient_id, "MedicationRequest") + _stored(patient_id, "MedicationStatement")
        assert _medication_sources_shown(html) == len(medications), patient_id

        notes = _stored(patient_id, "DocumentReference")
        listed = [n["id"] for n in notes if n.get("status") != "entered-in-error"]
        assert sorted(_note_ids_shown(html, page.url)) == sorted(listed), patient_id

        allergies = summarize_allergies(_stored(patient_id, "AllergyIntolerance"))
        assert all(escape(row.substance) in html for row in allergies.rows), patient_id
        assert ('class="nka"' in html) == allergies.no_known_allergies, patient_id
        no_data = 'class="no-data">No allergy information recorded' in html
        assert no_data == (allergies.state == NO_DATA), patient_id
