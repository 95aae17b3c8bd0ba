"""Abuse limits (issue 6 point 7): launch and callback rate limits per client IP, and request body limits.

The suite itself runs with a very high LAUNCH_RATE_LIMIT (tests/conftest.py); these tests set their own,
and count under client addresses (or a key prefix) of their own, so other tests' launches do not count.
Bounded FHIR responses: tests/ehr/test_fhir_bounds.py; paging cycles and foreign next links:
tests/ehr/test_fhir_paging.py.
"""

import importlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

from smartapp.audit.models import AuditEvent
from smartapp.launch import rate_limits
from smartapp.launch.rate_limits import client_key
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of
from tests.referrals import dashboard

UNKNOWN_LAUNCH = "/launch/?iss=https://unknown.example.org/fhir&launch=x"


def _ip() -> str:
    """A documentation address (RFC 5737) no other test uses."""
    n = uuid.uuid4().int
    return f"198.51.{n % 256}.{(n >> 8) % 254 + 1}"


@pytest.fixture
def limit(settings):
    settings.LAUNCH_RATE_LIMIT = 5
    settings.LAUNCH_RATE_WINDOW = 60
    with time_machine.travel(datetime(2031, 3, 1, 9, 0, 10, tzinfo=UTC), tick=False) as clock:
        yield clock


def _rate_limited_events():
    return AuditEvent.objects.filter(action="access.denied", outcome="rate_limited")


def test_the_production_default_is_30_launches_a_minute():
    defaults = importlib.import_module("smartapp.settings")  # the module, not the test's overrides
    assert (defaults.LAUNCH_RATE_LIMIT, defaults.LAUNCH_RATE_WINDOW) == (30, 60)
    assert defaults.DATA_UPLOAD_MAX_MEMORY_SIZE <= 64 * 1024
    assert defaults.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 100
    assert defaults.DATA_UPLOAD_MAX_NUMBER_FILES == 0


def test_launches_past_the_limit_get_429_with_retry_after_and_one_audit_event(client, db, limit):
    ip = _ip()
    for _ in range(5):
        assert client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip).status_code == 400  # refused launches count too
    refused = [client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip) for _ in range(3)]

    assert [r.status_code for r in refused] == [429, 429, 429]
    assert refused[0]["Retry-After"] == "50"  # 10 s into the minute's window
    page = refused[0].content.decode()
    assert "Too many sign-in attempts" in page and "Wait a minute" in page
    assert "Traceback" not in page and "rate_limited" in page
    assert "no-store" in refused[0]["Cache-Control"]
    event = _rate_limited_events().get()  # one per window, however many were refused
    assert (event.ip, event.detail) == (ip, {"bucket": "launch", "limit": 5, "window": 60})


def test_the_standalone_launch_shares_the_launch_budget_and_the_callback_has_its_own(client, db, limit):
    ip = _ip()
    for _ in range(5):
        client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip)
    assert client.post("/launch/sandbox/", {"as": "patient"}, REMOTE_ADDR=ip).status_code == 429
    for _ in range(5):  # no sign-in in progress: the callback's problem page, not a rate limit
        assert client.get("/callback/sandbox/?state=x&code=y", REMOTE_ADDR=ip).status_code == 400
    callback = client.get("/callback/sandbox/?state=x&code=y", REMOTE_ADDR=ip)
    assert callback.status_code == 429
    assert callback["Referrer-Policy"] == "no-referrer"  # the refused URL still carries its code
    assert sorted(e.detail["bucket"] for e in _rate_limited_events()) == ["callback", "launch"]


def test_other_clients_are_not_limited_and_the_next_window_starts_over(client, db, limit):
    ip = _ip()
    for _ in range(6):
        client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip)
    assert client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip).status_code == 429
    assert client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=_ip()).status_code == 400

    limit.shift(timedelta(seconds=50))  # the next window
    assert client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip).status_code == 400


def test_an_ipv6_client_is_counted_per_64_and_a_mapped_ipv4_as_itself(rf):
    def key(address):
        return client_key(rf.get("/", REMOTE_ADDR=address))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:198.51.100.7") == key("198.51.100.7") == "198.51.100.7"
    assert key("") == key("not an address") == "unknown"


def test_a_limit_of_zero_turns_it_off(client, db, settings, limit):
    settings.LAUNCH_RATE_LIMIT = 0
    ip = _ip()
    assert all(client.get(UNKNOWN_LAUNCH, REMOTE_ADDR=ip).status_code == 400 for _ in range(8))


def test_real_launches_from_the_ehr_stop_at_the_limit(browser, app_url, settings, monkeypatch):
    """Over HTTP through the sandbox simulator, from 127.0.0.1, with a key space of this test's own."""
    prefix = uuid.uuid4().hex
    monkeypatch.setattr(
        rate_limits, "client_key", lambda request, real=client_key: f"{prefix}:{real(request)}"
    )
    settings.LAUNCH_RATE_LIMIT = 2
    # The limiter's clock stands still (only its own): a window ending between two launches would reset
    # the count and make this test depend on the second it starts in.
    frozen = time.time()
    monkeypatch.setattr(rate_limits, "time", SimpleNamespace(time=lambda: frozen))
    for _ in range(2):
        assert launch_id_of(ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID))

    third = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)

    assert third.status_code == 429 and int(third.headers["Retry-After"]) <= 60
    assert third.url.startswith(f"{app_url}/launch/?")
    assert "Too many sign-in attempts" in third.text
    assert _rate_limited_events().get().ip == "127.0.0.1"


# --- request bodies ------------------------------------------------------------------------------------


@pytest.fixture
def form_poster(browser, app_url):
    """POST to the app as a browser would, with its CSRF cookie: Django reads the body for the token."""
    browser.get(f"{app_url}/")

    def post(path, **kwargs):
        return browser.post(f"{app_url}{path}", allow_redirects=False, **kwargs)

    return post


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"text": "x" * (200 * 1024)}},  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        {"data": {f"field{n}": "x" for n in range(500)}},  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
        {"files": {"note": ("note.pdf", b"%PDF" + b"\0" * 1024)}},  # the app takes no uploads
    ],
    ids=["too big", "too many fields", "a file"],
)
@pytest.mark.parametrize("path", ["/logout/", "/launch/sandbox/", f"/referrals/{1}/outreach/"])
def test_an_oversized_post_is_refused_with_400_and_no_stack_trace(form_poster, path, body):
    response = form_poster(path, **body)
    assert response.status_code == 400
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert "Bad Request" in response.text


def test_a_form_within_the_limits_still_works(client, db):
    dashboard.signed_in(client)
    referral = dashboard.referral()
    note = {"text": "x" * 1000, "idempotency_key": "k" * 32}  # the longest outreach note
    assert client.post(f"/referrals/{referral.pk}/outreach/", note).status_code == 303


def test_a_body_without_a_content_length_is_never_read(app_url, browser):
    """Django reads a request body only up to its Content-Length (WSGI): a chunked one is not read at all."""
    browser.get(f"{app_url}/")
    token = browser.cookies["csrftoken"]
    chunks = (b"as=coordinator&x=" + b"x" * 1024 for _ in range(200))
    response = browser.post(
        f"{app_url}/launch/sandbox/",
        data=chunks,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token},
        allow_redirects=False,
    )
    assert response.status_code == 302  # the default persona: the body's "as=coordinator" was not read
    assert "patient%2F" in response.headers["Location"] and "coordinator" not in response.headers["Location"]
