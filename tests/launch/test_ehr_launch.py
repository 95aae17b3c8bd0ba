"""EHR launch and standalone launch, end to end through real HTTP against the sandbox EHR."""

import json
import re

from smartapp.launch.models import Grant, Launch, PendingAuthorization
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import (
    COORDINATOR,
    ehr_launch,
    launch_id_of,
    sandbox_sign_in,
    standalone_launch,
)


def _mrn(patient_id: str) -> str:
    from smartapp.sandbox.models import Resource

    body = Resource.objects.get(resource_type="Patient", fhir_id=patient_id).body
    return next(
        i["value"] for i in body["identifier"] if i.get("type", {}).get("coding", [{}])[0].get("code") == "MR"
    )


def test_a_clinician_launched_from_the_ehr_lands_on_the_chart_of_that_patient(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)

    assert page.status_code == 200
    assert "/chart/" in page.url
    assert _mrn(catalog.TYPICAL_PATIENT_ID) in page.text
    launch = Launch.objects.get(pk=launch_id_of(page))
    assert (launch.persona, launch.patient_id) == ("clinician", catalog.TYPICAL_PATIENT_ID)
    assert launch.fhir_user == f"Practitioner/{catalog.PRACTITIONER_IDS[0]}"
    assert not PendingAuthorization.objects.exists()  # the state was used once and is gone


def test_two_launches_in_two_tabs_keep_their_own_patients(browser, app_url):
    first = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    second = ehr_launch(browser, app_url, catalog.ALLERGY_SCENARIO_PATIENT_ID)

    again_first = browser.get(first.url)
    assert _mrn(catalog.TYPICAL_PATIENT_ID) in again_first.text
    assert _mrn(catalog.ALLERGY_SCENARIO_PATIENT_ID) not in again_first.text
    assert _mrn(catalog.ALLERGY_SCENARIO_PATIENT_ID) in browser.get(second.url).text


def test_a_patient_standalone_launch_lands_on_their_own_view(browser, app_url):
    sandbox_sign_in(browser, app_url, f"Patient/{catalog.TYPICAL_PATIENT_ID}")

    page = standalone_launch(browser, app_url, "patient")

    assert page.status_code == 200
    assert "/me/" in page.url
    launch = Launch.objects.get(pk=launch_id_of(page))
    assert (launch.persona, launch.patient_id) == ("patient", catalog.TYPICAL_PATIENT_ID)
    assert "Your medicines" in page.text and " — " in page.text  # plain-language lines
    assert "RxNorm" not in page.text and "MRN" not in page.text  # no clinician-only detail


def test_a_coordinator_standalone_launch_lands_on_the_worklist(browser, app_url):
    sandbox_sign_in(browser, app_url, f"Practitioner/{COORDINATOR}")

    page = standalone_launch(browser, app_url, "coordinator")

    assert page.status_code == 200
    assert page.url.endswith("/referrals/")
    assert Launch.objects.get().persona == "coordinator"


def test_a_practitioner_who_is_not_a_coordinator_is_refused_the_coordinator_role(browser, app_url):
    sandbox_sign_in(browser, app_url, f"Practitioner/{catalog.PRACTITIONER_IDS[0]}")

    page = standalone_launch(browser, app_url, "coordinator")

    assert page.status_code == 403
    assert "Not a care coordinator" in page.text
    assert not Launch.objects.exists()
    assert not Grant.objects.exists()


def test_tokens_never_reach_the_browser_or_the_session(browser, app_url):
    from django.contrib.sessions.models import Session

    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    grant = Grant.objects.get(launch_id=launch_id_of(page))

    from smartapp.core import crypto

    access_token = crypto.decrypt(grant.access_token, bound_to=f"grant:{grant.launch_id}")
    assert access_token not in grant.access_token  # encrypted at rest
    assert all(access_token not in cookie.value for cookie in browser.cookies)
    assert all(access_token not in json.dumps(s.get_decoded()) for s in Session.objects.all())
    assert access_token not in page.text


def test_the_app_publishes_only_public_keys(browser, app_url):
    keys = browser.get(f"{app_url}/.well-known/jwks.json").json()["keys"]
    assert keys and all(k["kty"] in ("RSA", "EC") for k in keys)
    assert all(not {"d", "p", "q", "dp", "dq", "qi"} & set(k) for k in keys)


def test_the_chart_offers_only_what_the_ehr_granted(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.ALLERGY_SCENARIO_PATIENT_ID)
    assert 'class="flag">HIGH' in page.text

    launch = Launch.objects.get(pk=launch_id_of(page))
    narrower = " ".join(s for s in launch.scope.split() if "AllergyIntolerance" not in s)
    Launch.objects.filter(pk=launch.pk).update(scope=narrower)  # as if the EHR had granted less

    again = browser.get(page.url)
    assert "smartapp was not granted access to it" in again.text
    assert "No allergy information recorded" not in again.text
    assert 'class="flag">HIGH' not in again.text
    assert "RxNorm" in again.text  # the medications still show


def test_no_known_allergies_and_no_allergy_data_read_differently(browser, app_url):
    nka = ehr_launch(browser, app_url, catalog.NO_KNOWN_ALLERGIES_PATIENT_ID)
    no_data = ehr_launch(browser, app_url, catalog.NO_ALLERGY_DATA_PATIENT_ID)
    assert "No known allergies, as recorded by the EHR" in nka.text
    assert "No allergy information recorded" in no_data.text
    assert "No known allergies" not in no_data.text


def test_a_repeat_view_reuses_what_was_fetched_until_the_token_is_refreshed(browser, app_url):
    from smartapp.audit.models import AuditEvent
    from smartapp.launch.models import Grant

    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    launch_id = launch_id_of(page)
    reads = AuditEvent.objects.filter(launch_id=launch_id, action__startswith="fhir.").count()
    assert reads >= 5

    browser.get(page.url)
    assert AuditEvent.objects.filter(launch_id=launch_id, action__startswith="fhir.").count() == reads
    assert AuditEvent.objects.filter(launch_id=launch_id, action="chart.view", outcome="reused").count() == 1

    Grant.objects.filter(launch_id=launch_id).update(expires_at="2000-01-01T00:00:00Z")  # forces a refresh
    browser.get(page.url)
    assert AuditEvent.objects.filter(launch_id=launch_id, action__startswith="fhir.").count() > reads


def test_the_chart_takes_the_ehrs_colours_from_smart_style_url(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    launch = Launch.objects.get(pk=launch_id_of(page))
    assert launch.smart_style_url.endswith("/sandbox/auth/smart-style.json")
    style = re.search(r'<style nonce="([^"]+)">:root \{ --accent: #1f5fa8;', page.text)
    assert style, "the EHR's colours are missing"
    # The one inline style runs under CSP only by its per-response nonce (no 'unsafe-inline').
    assert f"style-src 'self' 'nonce-{style.group(1)}'" in page.headers["Content-Security-Policy"]
