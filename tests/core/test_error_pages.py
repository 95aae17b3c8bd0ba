"""Error pages: the app's own for 400, 403, 404 and 500 (503 for a database outage), whether DEBUG is on
(development, bin/run) or off, each with the request's correlation id, which the error's log line carries
too; never Django's technical pages (URL patterns, local variables) unless SHOW_TRACEBACKS asks for them.
"""

import logging
import re

import pytest
from django.test import Client

from smartapp.core import correlation
from tests.core.error_urls import LOCAL_NAME

pytestmark = pytest.mark.urls("tests.core.error_urls")

ID = re.compile(r'<code class="correlation-id">([0-9a-f]{16})</code>')
TECHNICAL = ("Using the URLconf", "urlpatterns", "Traceback", "Local vars", "DEBUG = True", "failing/crash/")
CASES = {
    "400-suspicious": ("/failing/suspicious/", 400, "This request could not be read"),
    "400-bad-request": ("/failing/bad/", 400, "This request could not be read"),
    "403": ("/failing/denied/", 403, "You cannot open this page"),
    "404-no-such-path": ("/no/such/page/", 404, "Page not found"),
    "404-raised-by-a-view": ("/failing/missing/", 404, "Page not found"),
    "500": ("/failing/crash/", 500, "Something went wrong"),
}


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def browser(db):
    return Client(raise_request_exception=False)


def assert_styled(response, status: int, title: str) -> str:
    """The app's page for `status`: its title, the app's stylesheet, an id equal to the response header's,
    and nothing of a technical page or of the failing view's variables. Returns the id."""
    html = response.content.decode()
    assert response.status_code == status
    assert f'<h1 id="problem-title">{title}</h1>' in html and "/static/css/app.css" in html
    assert not [leak for leak in (*TECHNICAL, LOCAL_NAME) if leak in html]
    [shown] = ID.findall(html)
    assert shown == response[correlation.HEADER]
    assert "no-store" in response["Cache-Control"]
    return shown


@pytest.mark.parametrize("path, status, title", CASES.values(), ids=CASES.keys())
def test_each_error_is_the_apps_page_with_its_correlation_id(browser, debug, path, status, title):
    assert_styled(browser.get(path), status, title)


def test_a_database_outage_says_so_in_either_mode(browser, debug):
    response = browser.get("/failing/database/")

    assert_styled(response, 500 if debug else 503, "smartapp is briefly unavailable")


def test_the_500s_log_line_carries_the_pages_id(browser, debug, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        shown = assert_styled(browser.get("/failing/crash/"), 500, "Something went wrong")

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.correlation_id == shown and record.status_code == 500
    assert LOCAL_NAME not in caplog.text


def test_a_404s_log_line_carries_the_pages_id(browser, debug, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        shown = assert_styled(browser.get("/no/such/page/"), 404, "Page not found")

    assert [r.correlation_id for r in caplog.records if r.name == "django.request"] == [shown]


def test_the_log_format_prints_the_id(settings):
    formatter = logging.Formatter(**_format_kwargs(settings.LOGGING["formatters"]["app"]))
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), None
    )
    correlation.CorrelationIdFilter().filter(record)

    assert formatter.format(record) == f"ERROR django.request [{record.correlation_id}] Internal Server Error"


def _format_kwargs(config: dict) -> dict:
    return {"fmt": config["format"], "style": config["style"]}


def test_each_request_gets_a_new_id_and_none_from_the_client(browser):
    forged = {"HTTP_X_CORRELATION_ID": "forged-id", "HTTP_X_REQUEST_ID": "forged-id"}
    first, second = browser.get("/no/such/page/", **forged), browser.get("/no/such/page/", **forged)

    ids = {first[correlation.HEADER], second[correlation.HEADER]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert "forged-id" not in first.content.decode()


def test_a_debug_page_as_plain_text_has_no_trace_either(browser, settings):
    settings.DEBUG = True

    response = browser.get("/failing/crash/", HTTP_ACCEPT="text/plain")

    text = response.content.decode()
    assert response.status_code == 500 and response[correlation.HEADER] in text
    assert "Traceback" not in text and LOCAL_NAME not in text


def test_a_404_in_debug_still_redirects_to_the_slashed_path(browser, settings):
    settings.DEBUG = True

    response = browser.get("/healthz/")  # the slashed form of nothing: the app's 404
    redirected = browser.get("/failing/crash")  # APPEND_SLASH still works

    assert_styled(response, 404, "Page not found")
    assert redirected.status_code == 301 and redirected["Location"] == "/failing/crash/"


def test_tracebacks_show_only_when_asked_for_in_development(browser, settings):
    settings.DEBUG = True
    settings.SHOW_TRACEBACKS = True

    crash, missing = browser.get("/failing/crash/"), browser.get("/no/such/page/")

    assert "Traceback" in crash.content.decode() and LOCAL_NAME in crash.content.decode()
    assert "Using the URLconf" in missing.content.decode()


def test_a_patient_opening_the_worklist_gets_the_styled_403(browser, debug):
    response = browser.get("/referrals/")

    assert_styled(response, 403, "You cannot open this page")
