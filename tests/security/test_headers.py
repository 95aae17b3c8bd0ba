"""Response headers on every page (SECURITY.md 4.1, 7.3b): a crawler over the URL patterns it can fill, as a
clinician, a patient and a care coordinator, plus framing by an EHR that embeds the app."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from smartapp.launch.embedding import frame_ancestors
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import COORDINATOR, ehr_launch, launch_id_of, sandbox_sign_in, standalone_launch
from tests.referrals import dashboard

OUTSIDE = ("admin/", "sandbox/")  # Django's admin and the built-in EHR: crawled only where named below
MUST_VISIT = {
    "home", "launch-ehr", "launch-standalone", "launch-callback", "logout", "chart", "chart-print", "me",
    "note", "note-content", "referrals", "referral-detail", "referrals-export",
}  # fmt: skip
PUBLIC = {"app-jwks"}  # the app's public keys may be cached
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def _routes(patterns=None, prefix=""):
    """(route, name) of every path() pattern (regex patterns cannot be filled and are left out)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(OUTSIDE):
                yield from _routes(pattern.url_patterns, route)
        else:
            yield route, pattern.name


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def check_headers(name: str, response: requests.Response) -> None:
    """What every response of the app must carry; `name` says which page, for the failure message."""
    headers, where = response.headers, f"{name} {response.request.url} {response.status_code}"
    csp = _directives(headers.get("Content-Security-Policy", ""))
    assert "frame-ancestors" in csp, where
    if name == "note-content":  # its own, stricter policy: a sandbox with nothing allowed
        assert "sandbox" in csp and csp["default-src"] == ["'none'"], where
    else:
        assert csp["script-src"] == ["'self'"], where  # no 'unsafe-inline', no nonce: no inline JS at all
        assert "'unsafe-inline'" not in csp["style-src"], where
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], where
        assert csp["base-uri"] == ["'none'"] and csp["form-action"][0] == "'self'", where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer"), where
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
    assert headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN"), where  # no EHR embeds the app here
    if name not in PUBLIC:
        assert "no-store" in headers.get("Cache-Control", ""), where
    body = response.text if "text" in headers.get("Content-Type", "") else ""
    assert "Traceback" not in body and 'File "' not in body, where
    for form in _POST_FORM.findall(body):
        assert "csrfmiddlewaretoken" in form, where


@pytest.fixture
def signed_in(browser, app_url):
    """A browser per role, each with an open launch, and the ids to fill the URL patterns with."""
    clinician = ehr_launch(browser, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)
    patient, coordinator = requests.Session(), requests.Session()
    sandbox_sign_in(patient, app_url, f"Patient/{catalog.TYPICAL_PATIENT_ID}")
    me = standalone_launch(patient, app_url, "patient")
    sandbox_sign_in(coordinator, app_url, f"Practitioner/{COORDINATOR}")
    assert standalone_launch(coordinator, app_url, "coordinator").status_code == 200
    yield {
        "clinician": (browser, {"launch_id": launch_id_of(clinician)}),
        "patient": (patient, {"launch_id": launch_id_of(me)}),
        "coordinator": (coordinator, {"pk": str(dashboard.referral(connection="sandbox").pk)}),
    }
    patient.close()
    coordinator.close()


def _who(name: str) -> str:
    if (name or "").startswith("referral"):
        return "coordinator"
    return "patient" if name == "me" else "clinician"


def test_every_page_carries_the_security_headers(signed_in, app_url):
    fill = {"config_name": "sandbox", "document_id": catalog.HOSTILE_HTML_NOTE_ID}
    visited, unfilled = set(), []
    for route, name in _routes():
        session, ids = signed_in[_who(name)]
        values = {**fill, **ids}
        if any(param not in values for param in _PARAM.findall(route)):
            unfilled.append(route)
            continue
        url = f"{app_url}/{_PARAM.sub(lambda m, v=values: v[m.group(1)], route)}"
        check_headers(name, session.get(url, allow_redirects=False))  # a GET never signs out (POST only)
        visited.add(name)
    assert visited >= MUST_VISIT, (MUST_VISIT - visited, unfilled)


@pytest.mark.parametrize(
    "path",
    [
        "/launch/?iss=https://unknown.example.org/fhir&launch=x",  # a launch error page
        "/launch/",
        "/callback/sandbox/?state=forged&code=x",
        "/callback/nobody/?state=x",
        f"/chart/{uuid.uuid4()}/",  # not this browser's launch: 404
        "/no/such/page/",
        "/admin/login/",
    ],
)
def test_error_and_outside_pages_carry_them_too(signed_in, app_url, path):
    session, _ = signed_in["clinician"]
    response = session.get(f"{app_url}{path}", allow_redirects=False)
    assert response.status_code < 500
    check_headers(path, response)


def test_the_chart_allows_no_inline_style_but_the_ehr_colours_by_nonce(signed_in, app_url):
    session, ids = signed_in["clinician"]
    page = session.get(f"{app_url}/chart/{ids['launch_id']}/")
    nonces = re.findall(r"<style(?: nonce=\"([^\"]*)\")?>", page.text)
    csp = _directives(page.headers["Content-Security-Policy"])
    assert nonces and all(nonces)  # the one <style> (the EHR's colours) has its nonce
    assert csp["style-src"] == ["'self'", *(f"'nonce-{nonce}'" for nonce in set(nonces))]
    assert ' style="' not in page.text
    # Scripts only from the app's own static files (the idle sign-out warning), never inline.
    assert re.findall(r"<script\b[^>]*>", page.text) == ['<script src="/static/js/idle-warning.js" defer>']


# --- an EHR that embeds the app in a frame --------------------------------------------------------------

IFRAME_EHR = """
name = "framing-ehr"
vendor = "epic"
issuer = "https://fhir.framing-ehr.example/R4"
client_id = "smartapp"
embedding = "iframe"
embedding_origins = ["https://portal.framing-ehr.example"]

[scopes]
patient = "launch/patient openid fhirUser patient/Patient.rs"
"""


@pytest.fixture
def framing_ehr(settings, tmp_path):
    (tmp_path / "framing-ehr.toml").write_text(IFRAME_EHR)
    settings.LAUNCH_CONFIGS_DIR = tmp_path  # resets the registry (ehr.configs listens to setting_changed)
    return "https://portal.framing-ehr.example"


def test_without_a_framing_ehr_no_page_may_be_framed(client, db):
    response = client.get("/launch/?iss=https://unknown.example.org/fhir&launch=x")
    assert _directives(response["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_framing_ehr_may_frame_the_pages_shown_inside_it_and_no_others(client, db, framing_ehr):
    embedded = client.get("/launch/?iss=https://unknown.example.org/fhir&launch=x")  # shown in the frame
    assert _directives(embedded["Content-Security-Policy"])["frame-ancestors"] == [framing_ehr]
    assert not embedded.has_header("X-Frame-Options")

    home = client.get("/")  # not embeddable
    assert _directives(home["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert home["X-Frame-Options"] == "DENY"
    # The note content sits in the note page, itself inside the EHR's frame: both may frame it.
    assert frame_ancestors(own_origin=True) == ["'self'", framing_ehr]


def test_a_framing_ehr_gets_samesite_none_secure_cookies(client, django_user_model, framing_ehr):
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False) as clock:
        client.force_login(django_user_model.objects.create_user(username="framed"))
        clock.shift(timedelta(minutes=1))
        response = client.get("/")  # saves the session (activity) and sets the CSRF cookie (sign-in forms)
    for name in ("sessionid", "csrftoken"):
        assert response.cookies[name]["samesite"] == "None", name
        assert response.cookies[name]["secure"] is True, name


def test_the_form_action_lists_the_registered_ehrs(client, db, framing_ehr):
    csp = _directives(client.get("/")["Content-Security-Policy"])
    assert csp["form-action"] == ["'self'", "https://fhir.framing-ehr.example"]
