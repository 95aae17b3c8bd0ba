"""The notes filter is POST-redirect-GET: the words wait in the server-side session under a random filter id,
so Back never resubmits a form and no URL or log line carries them (issue 11, item 16)."""

import logging
import re
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from smartapp.chart.saved_filters import KEPT_PER_LAUNCH, SESSION_KEY
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, sandbox_sign_in, standalone_launch

WORDS = "zqxjvword"  # a search word found nowhere else, to look for in URLs and logs
NOTE_LINK = 'href="/notes/'


def _client_of(browser, settings) -> Client:
    """The Django test client in the browser's app session (the launch it holds)."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies.get(settings.SESSION_COOKIE_NAME, path="/")
    return client


@pytest.fixture
def chart(app_url, settings):
    """(Django client, the chart's path) after a clinician's launch for a patient with many notes."""
    with requests.Session() as browser:
        page = ehr_launch(browser, app_url, catalog.LARGE_PATIENT_ID)
        yield _client_of(browser, settings), urlsplit(page.url).path


def _filter(client, path, **fields):
    return client.post(path, {"specialty": "", "text": "", **fields})


def _filter_id(response) -> str:
    return re.fullmatch(r"[^?]+\?filter=([\w-]+)#notes", response["Location"]).group(1)


def test_a_filter_post_is_answered_with_a_303_to_the_chart_by_a_random_filter_id(chart):
    client, path = chart

    response = _filter(client, path, specialty="Cardiology", text=WORDS)

    assert response.status_code == 303
    assert response["Location"].startswith(f"{path}?filter=")
    assert WORDS not in response["Location"] and "Cardiology" not in response["Location"]
    assert len(_filter_id(response)) <= 12
    assert "no-store" in response["Cache-Control"]


def test_the_redirected_get_shows_the_filtered_chart_and_the_chosen_filters(chart):
    client, path = chart
    everything = client.get(path).content.decode().count(NOTE_LINK)

    page = client.get(_filter(client, path, specialty="Cardiology")["Location"])

    html = page.content.decode()
    assert page.status_code == 200
    assert 0 < html.count(NOTE_LINK) < everything
    assert "<h3>Cardiology" in html
    assert "<option selected>Cardiology</option>" in html
    assert f'<a href="{path}">Clear</a>' in html


def test_reloading_the_filtered_chart_shows_it_again(chart):
    client, path = chart
    url = _filter(client, path, specialty="Cardiology")["Location"]

    first, again = client.get(url).content.decode(), client.get(url).content.decode()

    assert first.count(NOTE_LINK) == again.count(NOTE_LINK)
    assert "<h3>Cardiology" in again


def test_clear_shows_every_note_and_forgets_the_filter(chart):
    client, path = chart
    url = _filter(client, path, specialty="Cardiology")["Location"]
    filtered = client.get(url).content.decode().count(NOTE_LINK)

    cleared = client.get(path)

    assert cleared.content.decode().count(NOTE_LINK) > filtered
    assert not client.session.get(SESSION_KEY, {}).get(path.strip("/").split("/")[-1])
    assert client.get(url).content.decode().count(NOTE_LINK) > filtered  # the forgotten id filters nothing
    assert client.get(path, {"filter": "unknown"}).status_code == 200


def test_back_through_several_filters_shows_each(chart):
    client, path = chart
    cardiology = _filter(client, path, specialty="Cardiology")["Location"]
    for _ in range(KEPT_PER_LAUNCH - 1):
        latest = _filter(client, path, text=WORDS)["Location"]

    assert "No note matches these filters" in client.get(latest).content.decode()
    assert "<h3>Cardiology" in client.get(cardiology).content.decode()


def test_only_the_last_few_filters_are_kept(chart):
    client, path = chart
    for _ in range(KEPT_PER_LAUNCH + 3):
        _filter(client, path, text=WORDS)

    [saved] = client.session[SESSION_KEY].values()
    assert len(saved) == KEPT_PER_LAUNCH


def test_a_filter_id_names_a_filter_of_its_own_launch_only(app_url, settings):
    with requests.Session() as browser:
        first = urlsplit(ehr_launch(browser, app_url, catalog.LARGE_PATIENT_ID).url).path
        second = urlsplit(ehr_launch(browser, app_url, catalog.NOTES_SCENARIO_PATIENT_ID).url).path
        client = _client_of(browser, settings)
    filter_id = _filter_id(_filter(client, first, text=WORDS))

    other = client.get(f"{second}?filter={filter_id}").content.decode()

    assert "No note matches these filters" not in other
    assert other.count(NOTE_LINK) > 0


def test_an_invalid_filter_is_kept_as_typed_and_filters_nothing(chart):
    client, path = chart

    page = client.get(_filter(client, path, date_from="not-a-date", text="x" * 500)["Location"])

    assert page.status_code == 200
    assert page.content.decode().count(NOTE_LINK) > 0


def test_the_search_words_reach_no_url_and_no_log(chart, caplog):
    client, path = chart
    caplog.set_level(logging.DEBUG)

    response = _filter(client, path, text=WORDS, author=WORDS)
    client.get(response["Location"])

    assert WORDS not in response["Location"]
    assert all(
        WORDS not in record.getMessage() and WORDS not in str(record.__dict__) for record in caplog.records
    )


def test_the_patients_own_view_filters_the_same_way(app_url, settings):
    patient = f"Patient/{catalog.NOTES_SCENARIO_PATIENT_ID}"
    with requests.Session() as browser:
        sandbox_sign_in(browser, app_url, patient)
        page = standalone_launch(browser, app_url, "patient")  # answers the sandbox as `patient`
        client, path = _client_of(browser, settings), urlsplit(page.url).path

    everything = client.get(path).content.decode().count("<h3>")
    response = _filter(client, path, text=WORDS)

    assert response.status_code == 303
    assert response["Location"].startswith(f"{path}?filter=")
    assert client.get(response["Location"]).content.decode().count("<h3>") < everything


def test_the_print_view_is_never_filtered_and_keeps_the_saved_filter(chart):
    client, path = chart
    url = _filter(client, path, specialty="Cardiology")["Location"]

    printed = client.get(f"{path}print/")

    assert printed.status_code == 200
    assert "<h3>Cardiology" in client.get(url).content.decode()
