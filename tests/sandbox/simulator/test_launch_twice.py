"""One simulator page launches as often as it is pressed: its forms carry the sandbox's own CSRF token,
which smartapp's sign-in (it rotates Django's) leaves alone; and that token still protects (issue 11, 15)."""

import re

import pytest
import requests

from smartapp.sandbox.form_token import COOKIE, FIELD
from smartapp.sandbox.models import Fault, LaunchContext
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import CLINICIAN


@pytest.fixture
def simulator(app_url):
    """A browser that has loaded /sandbox/ once: (session, that page's launch form fields)."""
    with requests.Session() as browser:
        page = browser.get(f"{app_url}/sandbox/", timeout=10)
        token = re.search(rf'name="{FIELD}" value="([^"]+)"', page.text).group(1)
        form = {"user": CLINICIAN, "patient": catalog.TYPICAL_PATIENT_ID, "app": f"{app_url}/launch/"}
        yield browser, {**form, "need_patient_banner": "1", FIELD: token}


def _press_launch(browser, app_url, form):
    return browser.post(f"{app_url}/sandbox/launch/", data=form, timeout=30)


def test_pressing_launch_twice_on_one_page_opens_the_chart_twice(simulator, app_url):
    browser, form = simulator
    csrf_before = browser.cookies.get("csrftoken", path="/")

    first = _press_launch(browser, app_url, form)
    assert "/chart/" in first.url
    assert browser.cookies.get("csrftoken", path="/") != csrf_before  # smartapp's sign-in rotated it

    second = _press_launch(browser, app_url, form)

    assert second.status_code == 200
    assert "/chart/" in second.url and second.url != first.url
    assert "could not be sent" not in second.text
    assert LaunchContext.objects.count() == 2


def test_the_pages_other_forms_still_work_after_a_launch(simulator, app_url):
    browser, form = simulator
    assert "/chart/" in _press_launch(browser, app_url, form).url
    token = {FIELD: form[FIELD]}

    on = browser.post(f"{app_url}/sandbox/faults/", data={"kind": "fhir_500", **token}, allow_redirects=False)
    off = browser.post(f"{app_url}/sandbox/faults/clear/", data=token, allow_redirects=False)
    signed_out = browser.post(f"{app_url}/sandbox/auth/logout/", data=token, allow_redirects=False)

    assert (on.status_code, off.status_code, signed_out.status_code) == (302, 302, 302)
    assert not Fault.objects.exists()


def test_the_token_cookie_is_the_sandboxs_alone_and_never_sent_cross_site(app_url):
    response = requests.get(f"{app_url}/sandbox/", timeout=10)

    cookie = next(c for c in response.cookies if c.name == COOKIE)
    assert cookie.path == "/sandbox/"
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "Strict"


def _refused(response) -> bool:
    return response.status_code == 403 and "could not be sent" in response.text


@pytest.mark.parametrize("path", ["launch/", "faults/", "faults/clear/", "auth/logout/"])
def test_a_post_without_the_token_is_refused(simulator, app_url, path):
    browser, form = simulator
    without = {name: value for name, value in form.items() if name != FIELD}

    response = browser.post(f"{app_url}/sandbox/{path}", data={**without, "kind": "fhir_500"})

    assert _refused(response)
    assert not LaunchContext.objects.exists() and not Fault.objects.exists()


def test_a_token_without_its_cookie_is_refused(simulator, app_url):
    _, form = simulator

    response = requests.post(f"{app_url}/sandbox/launch/", data=form, allow_redirects=False, timeout=10)

    assert _refused(response)
    assert not LaunchContext.objects.exists()


def test_another_browsers_token_is_refused(simulator, app_url):
    browser, form = simulator
    with requests.Session() as other:
        other.get(f"{app_url}/sandbox/", timeout=10)
        response = other.post(f"{app_url}/sandbox/launch/", data=form, allow_redirects=False, timeout=10)

    assert _refused(response)
    assert not LaunchContext.objects.exists()


@pytest.mark.parametrize("planted", ["x", "forged-token", "eyJ0eXAiOiJKV1QifQ:forged:sig"])
def test_a_planted_unsigned_cookie_and_matching_field_are_refused(app_url, planted):
    form = {"user": CLINICIAN, "app": f"{app_url}/launch/", FIELD: planted}

    response = requests.post(
        f"{app_url}/sandbox/launch/", data=form, cookies={COOKIE: planted}, allow_redirects=False, timeout=10
    )

    assert _refused(response)
    assert not LaunchContext.objects.exists()
