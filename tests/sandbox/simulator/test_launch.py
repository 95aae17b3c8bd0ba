"""GET /sandbox/launch/ and the simulator's POST: EHR launches over real HTTP."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from smartapp.sandbox.auth import clients
from smartapp.sandbox.middleware import COOKIE
from smartapp.sandbox.models import ClientProfile, LaunchContext
from tests.sandbox.simulator.conftest import APP

pytestmark = pytest.mark.usefixtures("registered_app")


def _launch(sandbox_url, **params):
    return requests.get(f"{sandbox_url}launch/", params=params, allow_redirects=False, timeout=10)


def _redirect_query(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def test_it_redirects_to_the_app_with_iss_and_a_launch_bound_to_user_patient_and_encounter(
    directory, sandbox_url, fhir_base
):
    response = _launch(sandbox_url, user="pr-1", patient="pt-1", encounter="enc-1", app=APP)

    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{APP}?")
    query = _redirect_query(response)
    assert query["iss"] == fhir_base
    context = LaunchContext.objects.get(launch=query["launch"])
    assert context.user == directory["practitioner"].user
    assert (context.patient_id, context.encounter_id, context.app_url) == ("pt-1", "enc-1", APP)
    assert context.need_patient_banner is True
    assert context.used_at is None


def test_it_signs_the_user_in_to_the_sandbox_and_not_to_the_app(directory, sandbox_url):
    response = _launch(sandbox_url, user="pr-1", patient="pt-1", app=APP)

    cookies = {cookie.name: cookie for cookie in response.cookies}
    assert cookies[COOKIE].path == "/sandbox/"
    assert "sessionid" not in cookies
    page = requests.get(sandbox_url, cookies={COOKIE: cookies[COOKIE].value}, timeout=10)
    assert "Signed in to the sandbox as <strong>Practitioner/pr-1</strong>" in page.text
    assert '<form class="sign-out" method="post" action="/sandbox/auth/logout/">' in page.text


def test_it_keeps_the_apps_own_query_string(directory, sandbox_url, fhir_base):
    response = _launch(sandbox_url, user="pr-1", patient="pt-1", app=f"{APP}?tenant=north&iss=stale")

    query = _redirect_query(response)
    assert query["tenant"] == "north"
    assert query["iss"] == fhir_base


def test_the_coordinator_can_launch_without_a_patient(directory, sandbox_url):
    response = _launch(sandbox_url, user="co-1", app=APP)

    assert response.status_code == 302
    context = LaunchContext.objects.get(launch=_redirect_query(response)["launch"])
    assert context.user == directory["coordinator"].user
    assert context.patient_id == ""


def test_it_stores_the_banner_and_style_options(directory, sandbox_url):
    style = "http://127.0.0.1:9/smart-style.json"
    response = _launch(
        sandbox_url, user="pr-1", patient="pt-2", app=APP, need_patient_banner="0", smart_style_url=style
    )

    context = LaunchContext.objects.get(launch=_redirect_query(response)["launch"])
    assert context.need_patient_banner is False
    assert context.smart_style_url == style


def test_two_launches_give_two_distinct_launch_values(directory, sandbox_url):
    first = _redirect_query(_launch(sandbox_url, user="pr-1", patient="pt-1", app=APP))["launch"]
    second = _redirect_query(_launch(sandbox_url, user="pr-1", patient="pt-1", app=APP))["launch"]

    assert first != second
    assert LaunchContext.objects.filter(launch__in=[first, second]).count() == 2


def test_without_an_app_it_opens_the_first_registered_clients_launch_url(
    directory, registered_client, sandbox_url
):
    clients.remove("sim-app")
    ClientProfile.objects.create(application=registered_client, launch_url="http://127.0.0.1:9/app/launch")

    response = _launch(sandbox_url, user="pr-1", patient="pt-1")

    assert response.headers["Location"].startswith("http://127.0.0.1:9/app/launch?")


def test_the_simulator_form_posts_a_launch(directory, browser, sandbox_url):
    form = {"user": "pr-1", "patient": "pt-1", "encounter": "enc-1", "app": APP}
    form.update(need_patient_banner=["0", "1"], smart_style_url="", sandbox_form_token=browser.form_token)

    response = browser.post(f"{sandbox_url}launch/", data=form, allow_redirects=False, timeout=10)

    assert response.status_code == 302
    context = LaunchContext.objects.get(launch=_redirect_query(response)["launch"])
    assert (context.patient_id, context.encounter_id) == ("pt-1", "enc-1")
    assert context.need_patient_banner is True  # the checked box comes after its hidden "0"


def test_a_launch_post_without_a_csrf_token_is_refused(directory, sandbox_url):
    response = requests.post(
        f"{sandbox_url}launch/", data={"user": "pr-1", "app": APP}, allow_redirects=False, timeout=10
    )

    assert response.status_code == 403
    assert not LaunchContext.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"patient": "pt-1", "app": APP}, "Choose the EHR user"),
        ({"user": "nobody", "patient": "pt-1", "app": APP}, "No sandbox practitioner or coordinator"),
        ({"user": "Patient/pt-1", "patient": "pt-1", "app": APP}, "No sandbox practitioner or coordinator"),
        ({"user": "pr-1", "patient": "pt-404", "app": APP}, "No sandbox patient has that id"),
        ({"user": "pr-1", "patient": "pt-1", "encounter": "enc-2", "app": APP}, "not one of the chosen"),
        ({"user": "pr-1", "patient": "pt-1", "encounter": "enc-404", "app": APP}, "not one of the chosen"),
        ({"user": "pr-1", "encounter": "enc-1", "app": APP}, "An encounter needs its patient"),
        ({"user": "pr-1", "patient": "pt-1", "app": "javascript:alert(1)"}, "must be an absolute http"),
        ({"user": "pr-1", "patient": "pt-1", "app": "ftp://127.0.0.1/launch"}, "must be an absolute http"),
        ({"user": "pr-1", "patient": "pt-1", "app": "/launch/"}, "must be an absolute http"),
        ({"user": "pr-1", "app": APP, "smart_style_url": "data:text/css,x"}, "smart_style_url must be"),
    ],
)
def test_each_invalid_launch_is_refused_with_a_clear_400_page(directory, sandbox_url, params, message):
    response = _launch(sandbox_url, **params)

    assert response.status_code == 400
    assert message in response.text
    assert "Traceback" not in response.text
    assert COOKIE not in response.cookies
    assert not LaunchContext.objects.exists()


def test_a_bare_launch_url_leads_to_the_simulator(transactional_db, sandbox_url):
    response = requests.get(f"{sandbox_url}launch/", allow_redirects=False, timeout=10)

    assert response.status_code == 302
    assert response.headers["Location"] == "/sandbox/"


def test_on_an_unseeded_sandbox_a_launch_hints_at_the_seed_command(transactional_db, sandbox_url):
    response = _launch(sandbox_url, user="pr-1", app=APP)

    assert response.status_code == 400
    assert "python manage.py seed_sandbox" in response.text


def test_the_simulators_sign_out_form_signs_the_user_out_of_the_sandbox(directory, sandbox_url):
    session = requests.Session()
    launched = session.get(
        f"{sandbox_url}launch/", params={"user": "pr-1", "app": APP}, allow_redirects=False, timeout=10
    )
    assert launched.status_code == 302
    page = session.get(sandbox_url, timeout=10).text
    token = re.search(r'name="sandbox_form_token" value="([^"]+)"', page).group(1)

    session.post(f"{sandbox_url}auth/logout/", data={"sandbox_form_token": token}, timeout=10)

    assert "Not signed in to the sandbox" in session.get(sandbox_url, timeout=10).text
