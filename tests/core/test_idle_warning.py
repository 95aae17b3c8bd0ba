"""The warning before the idle sign-out and its "Stay signed in" request, and the favicon.

The warning itself runs in the browser (static/js/idle-warning.js; tests/browser/test_accessibility.py
shows it and presses the button); here: the page carries it only for a signed-in browser, and the keep-alive
request counts as activity while the session lives, and answers 401 once it has ended.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from smartapp.launch.session_policy import LAST_SEEN_AT, SIGNED_IN_AT

KEEP_ALIVE = "/session/keep-alive"


@pytest.fixture
def signed_in(db, client):
    client.force_login(get_user_model().objects.create_user("someone"))
    return client


def _last_seen(client, seconds_ago: float) -> None:
    session = client.session
    now = timezone.now().timestamp()
    session[SIGNED_IN_AT], session[LAST_SEEN_AT] = now - seconds_ago, now - seconds_ago
    session.save()


def test_a_signed_in_page_carries_the_warning_and_its_script(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 900

    html = signed_in.get("/").content.decode()

    assert '<script src="/static/js/idle-warning.js" defer></script>' in html
    warning = re.search(r'<div id="idle-warning".*?</div>', html, re.S).group(0)
    assert 'data-idle-seconds="900" data-warn-seconds="120"' in warning and " hidden" in warning
    assert f'action="{KEEP_ALIVE}"' in warning and "csrfmiddlewaretoken" in warning
    assert ">Stay signed in</button>" in warning


def test_a_short_timeout_is_warned_of_halfway(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 60

    assert 'data-idle-seconds="60" data-warn-seconds="30"' in signed_in.get("/").content.decode()


def test_a_signed_out_page_has_no_warning(db, client):
    html = client.get("/").content.decode()

    assert "idle-warning" not in html and "<script" not in html


def test_stay_signed_in_counts_as_activity(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 900
    _last_seen(signed_in, 800)

    response = signed_in.post(KEEP_ALIVE)

    assert response.status_code == 204
    assert timezone.now().timestamp() - signed_in.session[LAST_SEEN_AT] < 5
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_stay_signed_in_after_the_timeout_is_too_late(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 900
    _last_seen(signed_in, 901)

    response = signed_in.post(KEEP_ALIVE)

    assert response.status_code == 401
    assert "_auth_user_id" not in signed_in.session  # signed out, as any late request would be


def test_stay_signed_in_without_a_session_is_401(db, client):
    assert client.post(KEEP_ALIVE).status_code == 401


def test_stay_signed_in_is_a_post_with_a_csrf_token(signed_in):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies

    assert signed_in.get(KEEP_ALIVE).status_code == 405
    assert strict.post(KEEP_ALIVE).status_code == 403


def test_the_favicon_is_served_and_linked(db, client):
    icon = client.get("/favicon.ico")
    home = client.get("/").content.decode()

    assert icon.status_code == 200 and icon["Content-Type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert '<link rel="icon" href="/favicon.ico"' in home
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    assert finders.find("favicon.svg")
