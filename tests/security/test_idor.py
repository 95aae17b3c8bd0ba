"""No IDOR (issue 6 point 2): another patient's id, wherever a URL or a form takes one, reaches nothing.

The app's URLs name a launch (whose patient the EHR chose), a note, or a referral; no URL or form names a
patient directly. So: another browser's launch (another patient) in every URL that takes a launch -> 404;
another patient's note in the note page and its content -> 404, for a clinician and for a patient; and a
`patient` smuggled into a query or a form is ignored (the page stays on the launch's patient).

Covered elsewhere: the chart of another browser's launch (tests/launch/test_access_and_tokens.py), the note
page of another patient for a clinician (tests/launch/test_note_viewer.py), a referral of another EHR
connection (tests/referrals/test_views_access.py), and the matrix of roles (test_roles.py).
"""

import html

import pytest
import requests

from smartapp.referrals import tasks
from smartapp.referrals.models import SyncRequest
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of, sandbox_sign_in, standalone_launch

MINE, OTHER = catalog.NOTES_SCENARIO_PATIENT_ID, catalog.TYPICAL_PATIENT_ID
LAUNCH_URLS = {  # name: (method, path under the app, for a launch id)
    "chart": ("get", "/chart/{}/"),
    "chart-print": ("get", "/chart/{}/print/"),
    "me": ("get", "/me/{}/"),
    "note": ("get", f"/notes/{{}}/{catalog.NOTE_IDS['plain-text']}/"),
    "note-content": ("get", f"/notes/{{}}/{catalog.NOTE_IDS['plain-text']}/content"),
    "referrals-track": ("post", "/referrals/track/{}/"),
}


def _patient(patient_id: str) -> dict:
    return Resource.objects.get(resource_type="Patient", fhir_id=patient_id).body


def _mrn(patient_id: str) -> str:
    return _patient(patient_id)["identifier"][0]["value"]


def _family(patient_id: str) -> str:
    return html.escape(_patient(patient_id)["name"][0]["family"])


def _other_patients_note() -> str:
    return Resource.objects.filter(resource_type="DocumentReference", patient_id=OTHER).first().fhir_id


def _followed(session, app_url, page):
    if page.status_code != 303:
        return page
    return session.get(requests.compat.urljoin(page.url, page.headers["Location"]), allow_redirects=False)


def _send(session, app_url, method, path, data=None):
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", "")}
    return session.request(method, f"{app_url}{path}", data=data, headers=headers, allow_redirects=False)


@pytest.fixture
def enqueued(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.sync_request, "apply_async", lambda args, task_id: sent.append(args))
    return sent


@pytest.fixture
def launches(browser, app_url):
    """This browser's clinician and patient launches for MINE; other browsers' launches for OTHER."""
    with requests.Session() as patient, requests.Session() as other, requests.Session() as other_patient:
        clinician = launch_id_of(ehr_launch(browser, app_url, MINE))
        sandbox_sign_in(patient, app_url, f"Patient/{MINE}")
        me = launch_id_of(standalone_launch(patient, app_url, "patient"))
        others = launch_id_of(ehr_launch(other, app_url, OTHER))
        sandbox_sign_in(other_patient, app_url, f"Patient/{OTHER}")
        other_me = launch_id_of(standalone_launch(other_patient, app_url, "patient"))
        yield {"clinician": (browser, clinician), "patient": (patient, me), "others": (others, other_me)}


@pytest.mark.parametrize("name", LAUNCH_URLS)
def test_another_patients_launch_is_not_found_in_any_url(launches, app_url, enqueued, name):
    method, path = LAUNCH_URLS[name]
    for role in ("clinician", "patient"):
        session, _ = launches[role]
        for launch_id in launches["others"]:
            response = _send(session, app_url, method, path.format(launch_id))
            assert response.status_code == 404, (role, name, launch_id)
            assert _mrn(OTHER) not in response.text
    assert enqueued == []


@pytest.mark.parametrize("page", ["/notes/{}/{}/", "/notes/{}/{}/content"])
def test_another_patients_note_is_not_found_for_a_clinician_or_a_patient(launches, app_url, page):
    document_id = _other_patients_note()
    for role in ("clinician", "patient"):
        session, launch_id = launches[role]
        response = session.get(f"{app_url}{page.format(launch_id, document_id)}")
        assert response.status_code == 404, (role, page)


def test_a_patient_in_a_query_or_a_form_is_ignored(launches, app_url, enqueued):
    clinician, launch_id = launches["clinician"]
    patient, me = launches["patient"]
    smuggled = {"patient": OTHER, "patient_id": OTHER, "subject": f"Patient/{OTHER}"}
    charts = [  # the clinician's pages show the MRN
        _send(clinician, app_url, "get", f"/chart/{launch_id}/?patient={OTHER}&subject=Patient/{OTHER}"),
        _send(clinician, app_url, "post", f"/chart/{launch_id}/", data=smuggled),  # the notes filter form
        _send(clinician, app_url, "get", f"/chart/{launch_id}/print/?patient={OTHER}"),
    ]
    own_views = [  # the patient's page shows the name
        _send(patient, app_url, "get", f"/me/{me}/?patient={OTHER}"),
        _send(patient, app_url, "post", f"/me/{me}/", data=smuggled),
    ]
    assert _family(MINE) != _family(OTHER)
    # The filter forms answer POST-redirect-GET (303 to the filtered page): the page read is the GET.
    charts = [
        _followed(session, app_url, page) for session, page in zip([clinician] * 3, charts, strict=True)
    ]
    own_views = [_followed(patient, app_url, page) for page in own_views]
    shown = [(page, _mrn) for page in charts] + [(page, _family) for page in own_views]
    for page, identify in shown:
        assert page.status_code == 200, page.request.url
        assert identify(MINE) in page.text and identify(OTHER) not in page.text, page.request.url

    tracked = _send(clinician, app_url, "post", f"/referrals/track/{launch_id}/", data=smuggled)
    assert tracked.status_code == 302
    [(request_id,)] = enqueued
    row = SyncRequest.objects.get(pk=request_id)
    assert (row.connection, row.patient_id) == ("sandbox", MINE)  # the launch's patient, not the form's
