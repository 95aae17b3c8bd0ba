"""The vendor matrix, people's side (issue 13, part 3): for the plain sandbox and each vendor emulation,
end to end over HTTP on the live server, an EHR launch (the chart, a note, a token refresh), a patient's
standalone launch and a coordinator's sign-in. A request the vendor refuses (a broken vendor rule) fails
the matrix. The follow-up sync's half is test_vendor_matrix_sync.py. Not a `services` test: SQLite only.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.core.cache import caches
from oauth2_provider.models import get_access_token_model

from smartapp.chart import reuse
from smartapp.launch import grants
from smartapp.launch.models import Grant, Launch
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.vendors import emulation_for
from tests.matrix.browsing import CLINICIAN, ehr_launch, launch_id_of, standalone_launch
from tests.matrix.registrations import COORDINATOR, VENDORS, other_loopback
from tests.matrix.traffic import refused, under

PATIENT = catalog.NOTES_SCENARIO_PATIENT_ID  # medicines, allergies and six notes of every kind
NOTES = catalog.NOTE_IDS
# Section states that must never show when the EHR answered (smartapp/chart/sections.py).
BROKEN_STATES = ("failed", "forbidden", "not_granted", "withheld", "truncated")
# Oracle Health keeps the refresh token on refresh (docs/vendors.md); every other base rotates it.
KEEPS_REFRESH_TOKEN = {"oracle"}


def _chart_problems(page) -> list[str]:
    """What is wrong with a clinician's chart page: a section that did not load, or one missing."""
    problems = [
        f"{state}: {text}"
        for state, text in re.findall(
            r'class="section-state ([a-z_]+)" role="status">([^<]{0,80})', page.text
        )
        if state in BROKEN_STATES
    ]
    for section in ('id="medications"', 'id="allergies"', 'id="notes"', '<table class="medications'):
        if section not in page.text:
            problems.append(f"no {section}")
    if 'class="allergies"' not in page.text:
        problems.append("no allergy rows")
    return problems


def _note_links(page, launch_id: str) -> set[str]:
    return set(re.findall(rf'href="/notes/{launch_id}/([A-Za-z0-9\-.]+)/"', page.text))


def _refresh_token(launch_id: str) -> str:
    """The launch's refresh token ("" when the EHR gave none: the launch's scope asked for no refresh)."""
    launch = Launch.objects.get(pk=launch_id)
    stored = Grant.objects.get(launch=launch).refresh_token
    return grants._decrypt(stored, launch) if stored else ""


def _served_note(registration, launch_id: str, document_id: str) -> dict:
    """The DocumentReference as the vendor's EHR serves it to the launch's token."""
    launch = Launch.objects.get(pk=launch_id)
    answer = requests.get(
        f"{registration.issuer}/DocumentReference/{document_id}",
        headers={
            "Authorization": f"Bearer {grants.grant_access_token(launch)}",
            "Accept": "application/fhir+json",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def _later():
    caches[reuse.CACHE].clear()  # the chart is fetched again, not reused from the launch's first view
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=2))  # and past the one-minute reuse


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_ehr_launch_shows_the_chart_and_its_notes(vendor, registered, browser, traffic):
    registration = registered(vendor)

    with traffic.watching() as seen:
        page = ehr_launch(browser, registration, PATIENT)
        launch_id = launch_id_of(page)
        note = browser.get(f"{registration.origin}/notes/{launch_id}/{NOTES['plain-text']}/")
        pdf = browser.get(f"{registration.origin}/notes/{launch_id}/{NOTES['pdf']}/content")
        html = browser.get(f"{registration.origin}/notes/{launch_id}/{NOTES['html']}/content")

    assert page.status_code == 200 and _chart_problems(page) == []
    launch = Launch.objects.get(pk=launch_id)
    assert (launch.persona, launch.patient_id, launch.issuer) == ("clinician", PATIENT, registration.issuer)
    assert launch.fhir_user == f"Practitioner/{CLINICIAN}"  # Epic's absolute fhirUser, read as a reference
    stored_notes = set(
        Resource.objects.filter(resource_type="DocumentReference", patient_id=PATIENT).values_list(
            "fhir_id", flat=True
        )
    )
    assert _note_links(page, launch_id) == stored_notes
    assert note.status_code == 200 and '<pre class="note-text">' in note.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")  # Binary, vendor Accept rule
    assert html.status_code == 200 and html.headers["Content-Security-Policy"].startswith("sandbox")
    assert refused(seen) == []  # neither the EHR nor smartapp refused anything
    # Where the vendor serves a note in several formats (Epic: HTML and RTF), the viewer above coped.
    extra = emulation_for(registration.sandbox_vendor).note_formats
    assert len(_served_note(registration, launch_id, NOTES["plain-text"])["content"]) == 1 + len(extra)


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_expired_access_token_is_refreshed_the_vendor_way(vendor, registered, browser, traffic):
    registration = registered(vendor)
    page = ehr_launch(browser, registration, PATIENT)
    launch_id = launch_id_of(page)
    refresh_token = _refresh_token(launch_id)
    assert refresh_token, f"no refresh token for the scope {Launch.objects.get(pk=launch_id).scope!r}"
    # The EHR ends the token early (its own clock, not the app's): the next FHIR request gets a 401.
    issued = get_access_token_model().objects.filter(application__client_id=registration.client_id)
    issued.update(expires=datetime.now(UTC) - timedelta(seconds=1))

    with _later(), traffic.watching() as seen:
        again = browser.get(page.url)

    assert again.status_code == 200 and _chart_problems(again) == []
    assert "session with the EHR has ended" not in again.text
    # The expired token's 401s (one per parallel search), then one refresh; a 503 is
    # the sandbox's SQLite under parallel writes ("database table is locked"), retried by the app.
    errors = {s.status for s in under(seen, registration.fhir_path) if s.status >= 400}
    assert 401 in errors and errors <= {401, 503}, refused(seen)
    assert len([s for s in seen if s.method == "POST" and "/token" in s.path]) == 1
    grant = Grant.objects.get(launch_id=launch_id)
    assert grant.refreshed_at is not None and not grant.relaunch_needed
    kept = _refresh_token(launch_id) == refresh_token
    assert kept == (vendor in KEEPS_REFRESH_TOKEN)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_patient_standalone_launch_shows_their_own_record(vendor, registered, browser, traffic):
    registration = registered(vendor)
    patient = catalog.TYPICAL_PATIENT_ID
    name = Resource.objects.get(resource_type="Patient", fhir_id=patient).body["name"][0]["family"]

    with traffic.watching() as seen:
        page = standalone_launch(browser, registration, "patient", f"Patient/{patient}")

    assert page.status_code == 200 and "/me/" in page.url, page.text[:300]
    launch = Launch.objects.get(pk=launch_id_of(page))
    assert (launch.persona, launch.patient_id, launch.issuer) == ("patient", patient, registration.issuer)
    assert name in page.text and "Your medicines" in page.text
    assert refused(seen) == []
    # Oracle's authorization server lives on another host than its FHIR base.
    origin_host = registration.origin.split("//")[1]
    auth_host = other_loopback(registration.origin) if vendor == "oracle" else origin_host
    assert {s.host for s in seen if "/authorize" in s.path} == {auth_host}


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_coordinator_signs_in_to_the_worklist(vendor, registered, browser):
    registration = registered(vendor)

    page = standalone_launch(browser, registration, "coordinator", COORDINATOR)

    assert page.status_code == 200 and page.url.endswith("/referrals/"), page.text[:300]
    launch = Launch.objects.get(persona="coordinator")
    assert (launch.config_name, launch.fhir_user) == (registration.name, COORDINATOR)
    assert browser.get(f"{registration.origin}/referrals/").status_code == 200
