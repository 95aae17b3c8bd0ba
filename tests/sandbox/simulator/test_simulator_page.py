"""The launcher page at /sandbox/, over real HTTP."""

import re
from html import unescape

import requests

from smartapp.sandbox import faults
from smartapp.sandbox.models import ClientProfile


def _page(url, **params):
    response = requests.get(url, params=params, timeout=10)
    assert response.status_code == 200
    return response.text


def test_it_lists_ehr_users_patients_and_encounters(directory, sandbox_url):
    html = _page(sandbox_url)

    assert "Ada Osler · practitioner (Practitioner/pr-1)" in html
    assert "Casey Coordinator · coordinator (Practitioner/co-1)" in html
    assert "Patient/pt-1" not in html  # patients are not EHR users
    assert "Jane Sample · born 1970-05-01 · MRN MRN-0001" in html
    assert '<optgroup label="John Example">' in html
    assert "2024-03-01 · Office visit · finished" in html


def test_its_launch_form_opens_the_app_in_a_new_window(directory, sandbox_url):
    html = _page(sandbox_url)

    assert '<form class="card launch-form" method="post" action="/sandbox/launch/" target="_blank">' in html
    assert 'name="need_patient_banner" value="1" checked' in html
    assert 'name="smart_style_url"' in html


def test_choosing_a_patient_lists_only_that_patients_encounters(directory, sandbox_url):
    html = _page(sandbox_url, patient="pt-1", user="co-1")

    assert 'value="enc-1"' in html
    assert 'value="enc-2"' not in html
    assert '<option value="pt-1" selected>' in html
    assert '<option value="co-1" selected>' in html


def test_it_shows_the_fhir_base_smart_configuration_and_clients(
    directory, registered_client, sandbox_url, fhir_base
):
    ClientProfile.objects.create(application=registered_client, launch_url="http://127.0.0.1:9/app/launch")

    html = _page(sandbox_url)

    assert f"<code>{fhir_base}</code>" in html
    assert f"{fhir_base}/.well-known/smart-configuration" in html
    assert "<code>test-client</code>" in html
    assert 'id="app" name="app" type="url" value="http://127.0.0.1:9/app/launch"' in html


def test_it_lists_the_faults_switched_on(transactional_db, sandbox_url):
    faults.switch_on(faults.FHIR_429, "2", client_id="test-client", remaining=3)

    html = _page(sandbox_url)

    assert "<code>fhir_429</code>" in html
    assert "<code>test-client</code>" in html
    assert 'action="/sandbox/faults/clear/"' in html


def test_an_unseeded_sandbox_shows_how_to_seed_it(transactional_db, sandbox_url):
    html = _page(sandbox_url)

    assert "python manage.py seed_sandbox" in html
    assert "http://127.0.0.1:8000/launch/" in html  # no client registered: the app's own launch URL
    assert "Not signed in to the sandbox" in html


def test_its_try_it_link_launches_without_a_click(directory, registered_app, sandbox_url, live_server):
    html = _page(sandbox_url)
    link = re.search(r'<a href="(/sandbox/launch/\?[^"]+)" target="_blank">Try it', html).group(1)

    response = requests.get(f"{live_server.url}{unescape(link)}", allow_redirects=False, timeout=10)

    assert response.status_code == 302
    assert "launch=" in response.headers["Location"]


def test_with_no_patient_chosen_the_first_patients_chart_is_open(directory, sandbox_url):
    html = _page(sandbox_url)

    assert '<option value="pt-1" selected>Jane Sample' in html  # patients are listed by name
