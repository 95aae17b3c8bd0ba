"""No PHI or secret in any log line (SECURITY.md 4.4 and 7.3 d; issue 6, point 6).

The scan runs a full launch, chart, note, standalone, error and sync run with every logger captured at DEBUG
through the filter settings.LOGGING configures, then looks for the seeded patients' names, birth dates,
identifiers, phone numbers and note texts, and for every code and token of the run.
"""

import base64
import logging
import logging.config
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.test.testcases import QuietWSGIRequestHandler
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from smartapp.core.log_redaction import MASK, PhiRedactionFilter, redact_text
from smartapp.referrals.sync import referral_sync
from smartapp.sandbox import faults
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import CLINICIAN, ehr_launch, launch_id_of, standalone_launch

CAPTURED_LOGGERS = (
    "",
    "django",
    "django.server",
    "django.request",
    "celery",
    "fhirclient",
    "urllib3",
    "smartapp",
    "oauthlib",
    "oauth2_provider",
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _record(level=logging.INFO, msg="", args=(), **extra):
    record = logging.LogRecord("test", level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


# --- the filter itself --------------------------------------------------------------------------------


def test_the_filter_masks_query_secrets_bearer_tokens_and_phi_extras():
    record = _record(
        msg='"GET %s HTTP/1.1" 302 0 %s',
        args=("/callback/sandbox/?code=abc&state=xyz&iss=http%3A%2F%2Fehr", "Authorization: Bearer abc.def"),
        family="Smith",
        birthDate="1970-01-01",
        headers={"Authorization": "Bearer abc.def", "Accept": "application/json"},
        patient_id="pat-001",
    )

    assert PhiRedactionFilter().filter(record) is True

    line = record.getMessage()
    assert line == (
        f'"GET /callback/sandbox/?code={MASK}&state={MASK}&iss={MASK} HTTP/1.1" 302 0 '
        f"Authorization: Bearer {MASK}"
    )
    assert (record.family, record.birthDate) == (MASK, MASK)
    assert record.headers == {"Authorization": MASK, "Accept": "application/json"}
    assert record.patient_id == "pat-001"  # ids stay


def test_the_filter_masks_secrets_in_json_bodies_jwts_and_exception_text():
    assert redact_text('{"access_token": "s3cr3t", "expires_in": 300}') == (
        f'{{"access_token": {MASK}, "expires_in": 300}}'
    )
    assert MASK in redact_text("id_token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")
    assert redact_text("status_code=500 resource_type=Patient") == "status_code=500 resource_type=Patient"
    try:
        raise ValueError("GET https://ehr/Patient?family=Smith&birthdate=1970-01-01 failed")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    PhiRedactionFilter().filter(record)
    assert "Smith" not in logging.Formatter().format(record)


def test_every_configured_handler_carries_the_filter():
    config = settings.LOGGING
    assert config["filters"]["phi_redaction"]["()"].endswith("log_redaction.PhiRedactionFilter")
    assert config["handlers"]
    for name, handler in config["handlers"].items():
        assert "phi_redaction" in handler.get("filters", []), name
    assert "django.server" in config["loggers"]  # Django's default unfiltered access-log handler replaced
    for handler in logging.getLogger("django.server").handlers + logging.getLogger().handlers:
        if handler.__class__.__module__ == "logging":  # pytest adds its own capture handlers
            assert any(isinstance(f, PhiRedactionFilter) for f in handler.filters), handler


def test_gunicorn_writes_no_access_log():
    # gunicorn's access log is off unless asked for; it would print request lines outside Django's LOGGING.
    for procfile in Path(settings.BASE_DIR).glob("Procfile*"):
        text = procfile.read_text()
        assert "--access-logfile" not in text and "--access-log" not in text, procfile


# --- the scan ------------------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        # Plain-valued extras, as a JSON formatter would write them. Objects (Django's `request`) are left to
        # the formatters, and the configured ones do not print them.
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD and isinstance(v, str | int | float | dict | list | tuple)
        }
        self.lines.append(f"{self.format(record)} {extras!r}")


@pytest.fixture
def captured_logs(monkeypatch):
    """Every record of the run, at DEBUG, after the filter settings.LOGGING builds (dictConfig semantics)."""
    configurator = logging.config.DictConfigurator(settings.LOGGING)
    capture = _Capture()
    capture.addFilter(configurator.configure_filter(dict(settings.LOGGING["filters"]["phi_redaction"])))
    # The live test server is quiet by default; give it runserver's access log (request lines with queries).
    monkeypatch.setattr(QuietWSGIRequestHandler, "log_message", WSGIRequestHandler.log_message)
    loggers = [logging.getLogger(name) for name in CAPTURED_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    yield capture.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(capture)
        logger.setLevel(level)


@pytest.fixture
def seen_secrets(browser):
    """Codes and states of every redirect the browser followed."""
    values = set()

    def remember(response, *args, **kwargs):
        for url in (response.url, response.headers.get("Location", "")):
            query = parse_qs(urlsplit(url).query)
            values.update(query.get("code", []) + query.get("state", []))

    browser.hooks["response"].append(remember)
    return values


def _patient_canaries(patient_ids):
    canaries = set()
    for body in Resource.objects.filter(resource_type="Patient", fhir_id__in=patient_ids).values_list(
        "body", flat=True
    ):
        for name in body.get("name", []):
            canaries.update(name.get("given", []))
            canaries.add(name.get("family", ""))
        canaries.add(body.get("birthDate", ""))
        canaries.update(i.get("value", "") for i in body.get("identifier", []))
        canaries.update(t.get("value", "") for t in body.get("telecom", []))
    return canaries


def _note_canaries(patient_id):
    canaries = set()
    notes = Resource.objects.filter(resource_type="DocumentReference", patient_id=patient_id)
    for body in notes.values_list("body", flat=True):
        for content in body.get("content", []):
            attachment = content.get("attachment", {})
            if attachment.get("contentType", "").startswith("text/plain") and attachment.get("data"):
                text = base64.b64decode(attachment["data"]).decode("utf-8", "replace")
                canaries.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 20)
    return canaries


def _forged_state_callback(browser, app_url):
    query = urlencode({"user": CLINICIAN, "patient": catalog.TYPICAL_PATIENT_ID, "app": f"{app_url}/launch/"})
    response = browser.get(f"{app_url}/sandbox/launch/?{query}", allow_redirects=False)
    while "/callback/" not in response.headers.get("Location", ""):
        response = browser.get(response.headers["Location"], allow_redirects=False)
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    return browser.get(f"{app_url}/callback/sandbox/?{urlencode({'code': code, 'state': 'forged'})}")


def test_a_full_run_logs_no_phi_and_no_secret(browser, app_url, captured_logs, seen_secrets):
    notes_patient = catalog.NOTES_SCENARIO_PATIENT_ID
    chart = ehr_launch(browser, app_url, notes_patient)
    assert chart.status_code == 200
    launch_id = launch_id_of(chart)
    note = browser.get(f"{app_url}/notes/{launch_id}/{catalog.NOTE_IDS['plain-text']}/")
    assert note.status_code == 200

    assert standalone_launch(browser, app_url, "patient").status_code == 200
    assert _forged_state_callback(browser, app_url).status_code == 400

    faults.switch_on(faults.FHIR_500, client_id="smartapp")
    failing = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    faults.switch_off()
    assert failing.status_code >= 500 or "unavailable" in failing.text.lower()

    referral_sync(connection="sandbox")

    log = "\n".join(captured_logs)
    # The scan saw the run: request lines with their (masked) query strings, the sync, the 400 and the 500.
    assert f"GET /callback/sandbox/?code={MASK}&state={MASK}" in log
    assert "GET /sandbox/fhir/" in log or "/sandbox/fhir/" in log
    assert "django.request WARNING" in log

    secrets = set(seen_secrets)
    secrets.update(get_access_token_model().objects.values_list("token", flat=True))
    secrets.update(get_refresh_token_model().objects.values_list("token", flat=True))
    assert len(secrets) >= 4
    canaries = _patient_canaries(catalog.PATIENT_IDS) | _note_canaries(notes_patient) | secrets
    canaries = {c for c in canaries if c and c != "forged"}
    assert len(canaries) > 50
    leaks = {c for c in canaries if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", log)}
    assert leaks == set(), (
        sorted(leaks)[:20] + [line for line in captured_logs if any(c in line for c in leaks)][:5]
    )
