"""After a clinician's launch from the sandbox, "Sign in as ..." signs in whoever the person chooses at the
sandbox, and smartapp refuses a patient sign-in that the EHR answers with a clinician (issue 11, item 14)."""

import re

import pytest

from smartapp.ehr import configs
from smartapp.ehr.errors import LaunchRejected
from smartapp.launch.complete import _role
from smartapp.launch.models import Launch
from smartapp.launch.problems import problem_for
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import CLINICIAN, COORDINATOR, ehr_launch, sandbox_choose, standalone_launch

PATIENT = catalog.TYPICAL_PATIENT_ID


def _after_a_clinician_launch(browser, app_url, persona: str):
    """A clinician launch from the simulator, then the home page's "Sign in as <persona>": the page the
    sandbox answers with (nobody chosen yet)."""
    assert "/chart/" in ehr_launch(browser, app_url, PATIENT).url
    return standalone_launch(browser, app_url, persona)


def test_the_sandbox_asks_who_is_signing_in_after_a_clinician_launch(browser, app_url):
    page = _after_a_clinician_launch(browser, app_url, "coordinator")

    assert "/sandbox/auth/authorize/" in page.url
    assert "Who is signing in" in page.text


def test_sign_in_as_a_care_coordinator_after_a_clinician_launch_lands_on_the_worklist(browser, app_url):
    page = _after_a_clinician_launch(browser, app_url, "coordinator")

    worklist = sandbox_choose(browser, page, f"Practitioner/{COORDINATOR}")

    assert worklist.status_code == 200
    assert worklist.url.endswith("/referrals/")
    assert "Not a care coordinator" not in worklist.text


def test_sign_in_as_a_patient_after_a_clinician_launch_lands_on_the_patients_own_view(browser, app_url):
    page = _after_a_clinician_launch(browser, app_url, "patient")

    own_view = sandbox_choose(browser, page, f"Patient/{PATIENT}")

    assert own_view.status_code == 200
    assert "/me/" in own_view.url
    launch = Launch.objects.get(pk=re.search(r"/me/([0-9a-f-]{36})/", own_view.url).group(1))
    assert (launch.persona, launch.fhir_user, launch.patient_id) == ("patient", f"Patient/{PATIENT}", PATIENT)


def test_a_patient_sign_in_answered_by_a_clinician_is_refused_with_a_page_that_explains(browser, app_url):
    page = standalone_launch(browser, app_url, "patient")
    picker = sandbox_choose(browser, page, f"Practitioner/{CLINICIAN}")  # the wrong account at the EHR
    action = re.search(r'id="choose-patient" method="post" action="([^"]+)"', picker.text).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', picker.text).group(1)
    identity = re.search(r'name="identity" value="(\d+)"', picker.text).group(1)

    refused = browser.post(
        picker.url.split("/sandbox/")[0] + action.replace("&amp;", "&"),
        data={"csrfmiddlewaretoken": token, "identity": identity, "patient": PATIENT},
        headers={"Referer": picker.url},
    )

    assert refused.status_code == 403
    assert "Not signed in as a patient" in refused.text
    assert "/chart/" not in refused.url and "/me/" not in refused.url
    assert not Launch.objects.filter(persona__in=["patient", "clinician"]).exists()


@pytest.mark.parametrize(
    ("fhir_user", "patient"),
    [
        ("Practitioner/pr-1", "p-1"),
        ("Practitioner/pr-1", ""),
        ("PractitionerRole/r-1", "p-1"),
        ("Device/d", "p-1"),
    ],
)
def test_the_patient_persona_needs_a_patient_fhir_user(fhir_user, patient):
    config = configs.by_name("sandbox")

    with pytest.raises(LaunchRejected) as refused:
        _role(config, "patient", fhir_user, patient)

    assert refused.value.reason == "not_a_patient"
    assert problem_for("not_a_patient").status == 403
    assert _role(config, "patient", "Patient/p-1", "p-1") == "patient"  # the patient's own record still opens
