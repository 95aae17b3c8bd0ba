"""A launch opens only a registered client's launch URL: the simulator is no open redirect (issue 11, 9)."""

import pytest
import requests

from smartapp.sandbox.auth import clients
from smartapp.sandbox.middleware import COOKIE
from smartapp.sandbox.models import LaunchContext
from smartapp.sandbox.simulator.launch_targets import is_registered_launch_url
from tests.sandbox.simulator.conftest import APP

pytestmark = pytest.mark.usefixtures("registered_app")

OFF_SITE = [
    "https://evil.example/launch",  # another site
    "http://evil.example/launch/",
    "https://127.0.0.1:9/launch/",  # another scheme
    "ftp://127.0.0.1:9/launch/",
    "javascript:alert(1)//127.0.0.1:9/launch/",
    "http://127.0.0.1:9@evil.example/launch/",  # userinfo: the host is what follows the @
    "http://evil.example@127.0.0.1:9/launch/",
    "http://127.0.0.1:8000/launch/",  # another port
    "http://127.0.0.1/launch/",
    "http://127.0.0.1:9/launchpad/",  # a path that only starts like the registered one
    "http://127.0.0.1:9/launch/../evil/",
    "http://127.0.0.1:9/launch/evil",
    "http://127.0.0.1:9/",
    "http://127.0.0.1:9.evil.example/launch/",
    "//evil.example/launch/",  # scheme-relative
    "/\\evil.example/launch/",
    "http:\\\\evil.example\\launch/",  # backslashes, read as slashes by browsers
    "http://127.0.0.1:9\\@evil.example/launch/",
    "http://127.0.0.1:9/launch/\\..\\..\\evil",
    "http://127.0.0.1:9/%6caunch/",  # encoded characters
    "http%3A%2F%2Fevil.example%2Flaunch%2F",
    "http://127.0.0.1%3A9@evil.example/launch/",
    "http://127.0.0.1:9\t.evil.example/launch/",  # a tab, which browsers drop
    "http://127.0.0.1:9/laun\nch/",
    "http://[::1/launch/",  # unparseable
    "http://127.0.0.1:9:99/launch/",
]


def _launch(sandbox_url, **params):
    return requests.get(f"{sandbox_url}launch/", params=params, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("app", OFF_SITE)
def test_the_one_step_launch_refuses_an_unregistered_app(directory, sandbox_url, app):
    response = _launch(sandbox_url, user="pr-1", patient="pt-1", app=app)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert COOKIE not in response.cookies  # nobody signed in on the way
    assert not LaunchContext.objects.exists()


@pytest.mark.parametrize("app", OFF_SITE)
def test_the_simulator_form_refuses_an_unregistered_app(directory, browser, sandbox_url, app):
    form = {"user": "pr-1", "patient": "pt-1", "app": app, "sandbox_form_token": browser.form_token}

    response = browser.post(f"{sandbox_url}launch/", data=form, allow_redirects=False, timeout=10)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert not LaunchContext.objects.exists()


def test_the_refusal_says_how_to_register_an_app(directory, sandbox_url):
    response = _launch(sandbox_url, user="pr-1", app="https://evil.example/launch")

    assert "not one registered with the sandbox" in response.text
    assert "sandbox_client register" in response.text


@pytest.mark.parametrize(
    "app", [APP, f"{APP}?tenant=north", f"{APP}#top", "HTTP://127.0.0.1:9/launch/", "http://other.test:9/l"]
)
def test_only_registered_launch_urls_are_opened_with_their_own_query_or_fragment(directory, sandbox_url, app):
    clients.register(
        "other-app", redirect_uris=["http://other.test:9/cb"], launch_url="http://other.test:9/l"
    )

    response = _launch(sandbox_url, user="pr-1", patient="pt-1", app=app)
    off_site = _launch(sandbox_url, user="pr-1", patient="pt-1", app=app.replace("127.0.0.1", "evil.example"))

    assert response.status_code == 302
    assert response.headers["Location"].lower().startswith(app.split("#")[0].split("?")[0].lower())
    assert off_site.status_code == 400 or "other.test" in app


def test_with_no_client_registered_no_launch_leaves_the_sandbox(directory, sandbox_url):
    clients.remove("sim-app")

    response = _launch(sandbox_url, user="pr-1", patient="pt-1")  # the fallback app URL is not registered

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_a_removed_clients_launch_url_is_no_longer_opened(directory, sandbox_url):
    assert _launch(sandbox_url, user="pr-1", app=APP).status_code == 302
    clients.remove("sim-app")

    assert _launch(sandbox_url, user="pr-1", app=APP).status_code == 400


@pytest.mark.parametrize("app", ["http://127.0.0.1:9:bad/launch/", "http://[::1/launch/", "", "http://"])
def test_unparseable_urls_are_not_registered(registered_app, app):
    assert not is_registered_launch_url(app)
