"""A FHIR 401 mid-session: one single-flight refresh, one retry; a dead refresh token forgets the grant
(issue 11, item 6).

Three layers: EhrClient with a stub session (threads refused together renew once), the chart against the
loopback fake EHR (tests/security/fake_registration.py; the chart's parallel searches run on worker
threads, so these tests commit their rows: transaction=True), and end to end against the sandbox EHR over
the live server with its fault switches (smartapp/sandbox/faults.py).
"""

import gc
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.core.cache import cache, caches
from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from smartapp.audit.models import AuditEvent
from smartapp.chart import reuse
from smartapp.core import crypto
from smartapp.ehr import token_endpoint
from smartapp.ehr.errors import EhrAuthExpired, EhrUnavailable
from smartapp.ehr.fhir import EhrClient
from smartapp.launch import grants
from smartapp.launch.models import Grant, Launch
from smartapp.sandbox import faults
from smartapp.sandbox.synthetic import catalog
from tests.ehr.auth_fakes import Answer, FakeAuthServer, json_answer
from tests.launch.conftest import ehr_launch, launch_id_of
from tests.security.battery import Watch, assert_clear_page
from tests.security.fake_registration import PATIENT, ByPath, install

BASE = "https://ehr.example.org/fhir"
REFUSED = Answer(401, b'{"resourceType": "OperationOutcome"}', content_type="application/fhir+json")
CHART_PATHS = (
    f"/fhir/Patient/{PATIENT}",
    "/fhir/AllergyIntolerance",
    "/fhir/MedicationRequest",
    "/fhir/MedicationStatement",
    "/fhir/DocumentReference",
)


# -- EhrClient: one renewal for every thread refused the same token --------------------------------------
def _response(status: int, body: bytes = b"") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": "application/fhir+json"})
    response._content, response._content_consumed = body, True
    return response


class _StubSession:
    """Answers 401 to `stale` (once every caller has been refused: they are all in flight together) and a
    searchset to any other token; records the token of each request."""

    def __init__(self, callers: int, *, refuse_renewed: bool = False):
        self.tokens: list[str] = []
        self._together = threading.Barrier(callers, timeout=10)
        self._refuse_renewed = refuse_renewed

    def get(self, url, params=None, headers=None, **kwargs):
        token = headers["Authorization"].removeprefix("Bearer ")
        self.tokens.append(token)
        if token == "stale":
            self._together.wait()
            return _response(401)
        if self._refuse_renewed:
            return _response(401)
        return _response(200, b'{"resourceType": "Bundle", "type": "searchset", "entry": []}')


def _search_in_threads(client: EhrClient, callers: int) -> list:
    outcomes = [None] * callers

    def search(index: int) -> None:
        try:
            outcomes[index] = client.search("AllergyIntolerance", {"patient": "p-1"}).matches
        except Exception as error:  # collected and asserted by the test
            outcomes[index] = error

    threads = [threading.Thread(target=search, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return outcomes


def test_parallel_requests_refused_401_renew_the_token_once_and_each_retry_once():
    renewals = []
    session = _StubSession(callers=6)

    def renew(stale: str) -> str:
        renewals.append(stale)
        return "renewed"

    client = EhrClient(base_url=BASE, access_token="stale", session=session, renew_token=renew)
    outcomes = _search_in_threads(client, 6)

    assert outcomes == [[]] * 6
    assert renewals == ["stale"]  # one renewal for all six
    assert sorted(session.tokens) == ["renewed"] * 6 + ["stale"] * 6  # each request retried once


def test_a_second_401_after_the_renewal_is_final():
    renewals = []
    session = _StubSession(callers=3, refuse_renewed=True)
    client = EhrClient(
        base_url=BASE,
        access_token="stale",
        session=session,
        renew_token=lambda stale: renewals.append(stale) or "renewed",
    )

    outcomes = _search_in_threads(client, 3)

    assert all(isinstance(outcome, EhrAuthExpired) for outcome in outcomes)
    assert renewals == ["stale"] and len(session.tokens) == 6  # no third try, no second renewal


def test_a_failed_renewal_is_not_tried_again_by_the_other_threads():
    renewals = []

    def renew(stale: str) -> str:
        renewals.append(stale)
        raise EhrUnavailable()

    client = EhrClient(
        base_url=BASE, access_token="stale", session=_StubSession(callers=4), renew_token=renew
    )
    outcomes = _search_in_threads(client, 4)

    assert renewals == ["stale"]
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["EhrAuthExpired"] * 3 + [
        "EhrUnavailable"
    ]


# -- the chart against the loopback fake EHR ---------------------------------------------------------------
@pytest.fixture
def ehr(settings, tmp_path, db):
    """tests/security's hostile EHR: a loopback fake with a smartapp registration next to the sandbox's."""
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    cache.clear()
    server = FakeAuthServer()
    yield install(settings, server, tmp_path)
    server.close()
    cache.clear()


def _chart_of(client, ehr) -> str:
    landing = ehr.launch(client)
    assert landing.status_code == 302, landing.content[:300]
    return landing["Location"]


def _refresh_requests(ehr) -> list:
    return [
        seen
        for seen in ehr.server.seen
        if seen.path == "/auth/token" and seen.form.get("grant_type") == "refresh_token"
    ]


def _answer_refresh(ehr, **body) -> None:
    default = {"access_token": "renewed-token", "token_type": "Bearer", "expires_in": 3600}
    ehr.answer_token(json_answer({**default, **body}, status=400 if "error" in body else 200))


class _SeenByThread(list):
    """The fake's request log, which also remembers the request each handler thread is answering."""

    def __init__(self, items):
        super().__init__(items)
        self._local = threading.local()

    def append(self, seen) -> None:
        self._local.seen = seen
        super().append(seen)

    def current(self):
        return self._local.seen


class _RefusingToken(ByPath):
    """The fake's answers, except a 401 on `paths` to the token the EHR no longer accepts (as an EHR does)."""

    def __init__(self, answers, seen: _SeenByThread, paths):
        super().__init__(answers)
        self._seen, self._paths = seen, set(paths)

    def get(self, path, default=None):
        refused = self._seen.current().headers.get("Authorization") == "Bearer fake-access-token"
        if refused and path.split("?")[0] in self._paths:
            return REFUSED
        return super().get(path, default)


def _refuse_once(ehr, *paths) -> None:
    """From now on the EHR refuses the launch's first access token on `paths` (401); other tokens get data."""
    ehr.server.seen = _SeenByThread(ehr.server.seen)
    ehr.server.answers = _RefusingToken(ehr.server.answers, ehr.server.seen, paths)


def _fhir_outcomes(launch_id) -> list[str]:
    events = AuditEvent.objects.filter(launch_id=launch_id, action__startswith="fhir.")
    return list(events.values_list("outcome", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_401_in_the_middle_of_a_session_is_refreshed_and_retried(client, ehr):
    chart = _chart_of(client, ehr)
    _refuse_once(ehr, f"/fhir/Patient/{PATIENT}")
    _answer_refresh(ehr, refresh_token="rotated-refresh-token")

    page = client.get(chart)

    assert page.status_code == 200
    assert len(_refresh_requests(ehr)) == 1
    patient_reads = [s for s in ehr.server.seen if s.path == f"/fhir/Patient/{PATIENT}"]
    assert [s.headers["Authorization"] for s in patient_reads] == [
        "Bearer fake-access-token",
        "Bearer renewed-token",
    ]
    launch = Launch.objects.get()
    assert grants._decrypt(Grant.objects.get(launch=launch).refresh_token, launch) == "rotated-refresh-token"
    assert AuditEvent.objects.filter(action="token.refresh", outcome="success").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_chart_searches_refused_401_share_one_refresh(client, ehr):
    chart = _chart_of(client, ehr)
    _refuse_once(ehr, *CHART_PATHS)
    _answer_refresh(ehr)

    page = client.get(chart)

    assert page.status_code == 200, list(AuditEvent.objects.values_list("action", "outcome"))
    assert len(_refresh_requests(ehr)) == 1  # five requests refused, one refresh
    launch = Launch.objects.get()
    assert sorted(set(_fhir_outcomes(launch.pk))) == ["200"]  # every section retried and read
    assert AuditEvent.objects.filter(action="token.refresh").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_401_after_the_refresh_shows_the_relaunch_page(client, ehr):
    chart = _chart_of(client, ehr)
    for path in CHART_PATHS:
        ehr.server.answers[path] = REFUSED
    _answer_refresh(ehr)

    page = client.get(chart)

    assert_clear_page(page, 401, "session with the EHR has ended", "Open smartapp again")
    assert len(_refresh_requests(ehr)) == 1
    assert PATIENT not in page.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", ["invalid_grant", "invalid_client", "unauthorized_client"])
def test_a_refresh_refused_for_good_deletes_the_grant_and_closes_the_launch(client, ehr, error):
    chart = _chart_of(client, ehr)
    _refuse_once(ehr, *CHART_PATHS)
    _answer_refresh(ehr, error=error)
    watch = Watch()

    page = client.get(chart)

    assert_clear_page(page, 401, "session with the EHR has ended")
    assert len(_refresh_requests(ehr)) == 1
    assert watch.shrunk() == {"grant": 1} and watch.grown() == {}  # the encrypted tokens are gone
    assert Launch.objects.get().ended_at is not None
    event = watch.event("token.refresh", error)
    assert event.detail == {"grant": "deleted", "launch": "ended"}
    assert client.get(chart).status_code == 404  # a closed launch is not found again


@pytest.mark.django_db(transaction=True)
def test_a_refresh_refused_otherwise_keeps_the_grant_for_a_relaunch(client, ehr):
    chart = _chart_of(client, ehr)
    _refuse_once(ehr, *CHART_PATHS)
    _answer_refresh(ehr, error="invalid_scope")

    page = client.get(chart)

    assert_clear_page(page, 401, "session with the EHR has ended")
    assert Grant.objects.get().relaunch_needed
    assert AuditEvent.objects.filter(action="token.refresh", outcome="expired").count() == 1


# -- grant_renewed_token: across requests of one launch ----------------------------------------------------
def test_a_refused_token_already_renewed_by_another_request_is_not_refreshed_again(client, ehr):
    _chart_of(client, ehr)
    launch = Launch.objects.get()
    grant = Grant.objects.get()
    renewed = crypto.encrypt("renewed-elsewhere", bound_to=f"grant:{launch.pk}")
    Grant.objects.filter(pk=grant.pk).update(access_token=renewed)

    assert grants.grant_renewed_token(launch, stale="fake-access-token") == "renewed-elsewhere"
    assert _refresh_requests(ehr) == []


def test_a_request_refused_while_another_refreshes_waits_for_its_token(client, ehr, monkeypatch):
    _chart_of(client, ehr)
    launch = Launch.objects.get()
    Grant.objects.update(refresh_claimed_until=timezone.now() + timedelta(seconds=30))  # another worker's
    naps = []

    def other_worker_finishes(seconds: float) -> None:
        naps.append(seconds)
        Grant.objects.update(
            access_token=crypto.encrypt("renewed-elsewhere", bound_to=f"grant:{launch.pk}"),
            expires_at=timezone.now() + timedelta(hours=1),
            refresh_claimed_until=None,
        )

    monkeypatch.setattr(grants.time, "sleep", other_worker_finishes)

    assert grants.grant_renewed_token(launch, stale="fake-access-token") == "renewed-elsewhere"
    assert len(naps) == 1 and _refresh_requests(ehr) == []


# -- end to end: the sandbox EHR's fault switches over the live server ------------------------------------
@pytest.fixture
def counted_refreshes(monkeypatch):
    """Every refresh request smartapp sends (the live server runs in this process)."""
    sent = []
    real = token_endpoint.refresh

    def refresh(*args, **kwargs):
        sent.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(token_endpoint, "refresh", refresh)
    yield sent
    # The app's outgoing sessions are closed with their objects: close their keep-alive connections now,
    # while the live server's request threads may still use this test's database connection.
    gc.collect()


def _launched(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    assert page.status_code == 200, page.text[:300]
    return page, launch_id_of(page)


def _what_happened(launch_id) -> dict:
    """What a failure's message shows (a rare failure of the test below in full runs is not explained yet):
    the faults left, the FHIR requests' outcomes and the audit trail's actions. Statuses and kinds only."""
    from smartapp.sandbox.models import Fault

    return {
        "faults left": list(Fault.objects.values_list("kind", "remaining")),
        "fhir outcomes": _fhir_outcomes(launch_id),
        "events": list(AuditEvent.objects.order_by("pk").values_list("action", "outcome")),
    }


def _later():
    caches[reuse.CACHE].clear()  # the chart is fetched again, not reused from the launch's first view
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=2))  # and past the one-minute reuse


def _expired_at_the_ehr() -> None:
    """Every access token the sandbox issued expires now (the app still believes them valid). Not a one-shot
    `token_expired` fault: in rare full runs that fault was left unconsumed by the chart's parallel requests
    (cause not found), and no 401 came; an expiry at the EHR refuses every request, deterministically."""
    from oauth2_provider.models import AccessToken

    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))


def test_sandbox_an_access_token_expired_mid_session_is_refreshed_once(browser, app_url, counted_refreshes):
    page, launch_id = _launched(browser, app_url)

    with _later():
        _expired_at_the_ehr()
        again = browser.get(page.url)

    assert again.status_code == 200 and "session with the EHR has ended" not in again.text
    assert counted_refreshes == [1], _what_happened(launch_id)
    grant = Grant.objects.get(launch_id=launch_id)
    assert grant.refreshed_at is not None and not grant.relaunch_needed
    assert AuditEvent.objects.filter(action="token.refresh", outcome="success").count() == 1


def test_sandbox_parallel_searches_with_an_expired_token_share_one_refresh(
    browser, app_url, counted_refreshes
):
    page, launch_id = _launched(browser, app_url)

    with _later():
        _expired_at_the_ehr()
        again = browser.get(page.url)

    assert again.status_code == 200
    assert counted_refreshes == [1]  # every parallel request was refused; one refresh served them all
    assert set(_fhir_outcomes(launch_id)) == {"200"}


def test_sandbox_a_token_revoked_at_the_ehr_gets_one_refresh_then_the_relaunch_page(
    browser, app_url, counted_refreshes
):
    page, launch_id = _launched(browser, app_url)
    faults.switch_on(faults.TOKEN_REVOKED, client_id="smartapp")

    with _later():
        again = browser.get(page.url)

    assert_clear_page(again, 401, "session with the EHR has ended")
    assert catalog.TYPICAL_PATIENT_ID not in again.text
    assert counted_refreshes == [1]


def test_sandbox_a_401_whose_refresh_is_refused_forgets_the_grant(browser, app_url, counted_refreshes):
    page, launch_id = _launched(browser, app_url)
    faults.switch_on(faults.TOKEN_EXPIRED_REFRESH, client_id="smartapp")

    with _later():
        _expired_at_the_ehr()
        again = browser.get(page.url)
        after = browser.get(page.url)

    assert_clear_page(again, 401, "session with the EHR has ended")
    assert counted_refreshes == [1]
    assert not Grant.objects.filter(launch_id=launch_id).exists()
    assert Launch.objects.get(pk=launch_id).ended_at is not None
    assert AuditEvent.objects.filter(action="token.refresh", outcome="invalid_grant").count() == 1
    assert after.status_code == 404
