"""What a person reads: names and dates, never "Practitioner/12" or "2026-11-20T10:00:00Z"; the patient named
on every page that shows their data, in the page and in the browser tab."""

import html
import re

from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of, sandbox_sign_in, standalone_launch

MACHINE_TEXT = re.compile(r"Practitioner/|Patient/|PractitionerRole/|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SEMANTIC_TAG = re.compile(r"\((finding|substance|disorder|product)\)")


def visible_text(page: str) -> str:
    """The page as a reader sees it: no tags, attributes, scripts or styles (a <time datetime> is fine)."""
    body = re.sub(r"<(script|style|head)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def title_of(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).strip()


def family_name(patient_id: str) -> str:
    body = Resource.objects.get(resource_type="Patient", fhir_id=patient_id).body
    official = next((n for n in body["name"] if n.get("use") == "official"), body["name"][0])
    return official["family"]


def assert_readable(page: str) -> None:
    text = visible_text(page)
    assert not MACHINE_TEXT.findall(text)
    assert not SEMANTIC_TAG.findall(text)


def test_the_chart_and_its_print_view_show_names_and_dates_not_machine_text(browser, app_url):
    for patient_id in (catalog.NOTES_SCENARIO_PATIENT_ID, catalog.ALLERGY_SCENARIO_PATIENT_ID):
        chart = ehr_launch(browser, app_url, patient_id)
        assert chart.status_code == 200
        assert_readable(chart.text)
        assert "<time datetime=" in chart.text
        assert title_of(chart.text).startswith(f"{family_name(patient_id)}, ")

        printed = browser.get(f"{app_url}/chart/{launch_id_of(chart)}/print/")
        assert_readable(printed.text)
        assert family_name(patient_id) in title_of(printed.text)


def test_a_note_page_names_its_patient_in_the_banner_and_the_tab(browser, app_url):
    patient_id = catalog.NOTES_SCENARIO_PATIENT_ID
    chart = ehr_launch(browser, app_url, patient_id)
    launch_id = launch_id_of(chart)
    banner_name = re.search(r'<span class="name">(.*?)</span>', chart.text).group(1)

    for kind in ("plain-text", "pdf"):
        note = browser.get(f"{app_url}/notes/{launch_id}/{catalog.NOTE_IDS[kind]}/")
        assert note.status_code == 200
        assert f'<span class="name">{banner_name}</span>' in note.text
        assert family_name(patient_id) in title_of(note.text) and "Note" in title_of(note.text)
        assert_readable(note.text)


def test_a_note_page_opened_without_a_recent_chart_still_names_the_patient(browser, app_url, settings):
    settings.CACHES = {**settings.CACHES, "chart": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    patient_id = catalog.NOTES_SCENARIO_PATIENT_ID
    launch_id = launch_id_of(ehr_launch(browser, app_url, patient_id))

    note = browser.get(f"{app_url}/notes/{launch_id}/{catalog.NOTE_IDS['plain-text']}/")

    assert family_name(patient_id) in title_of(note.text)
    assert '<span class="name">' in note.text


def test_the_patient_view_shows_names_and_dates_not_machine_text(browser, app_url):
    sandbox_sign_in(browser, app_url, f"Patient/{catalog.NOTES_SCENARIO_PATIENT_ID}")
    page = standalone_launch(browser, app_url, "patient")
    assert page.status_code == 200 and "/me/" in page.url
    assert_readable(page.text)
    assert title_of(page.text) == "My record · smartapp"

    note = browser.get(f"{app_url}/notes/{launch_id_of(page)}/{catalog.NOTE_IDS['plain-text']}/")
    assert_readable(note.text)
    assert "MRN" not in visible_text(note.text)


def test_a_long_record_shows_the_newest_notes_and_the_rest_behind_show_more(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.LARGE_PATIENT_ID)
    summaries = re.findall(r"<summary>Show (\d+) more (.+?) notes?</summary>", page.text)
    assert summaries
    for count, group in summaries:
        heading = re.search(rf"<h3>{re.escape(group)} <span class=\"muted\">\((\d+)\)</span></h3>", page.text)
        assert int(heading.group(1)) == int(count) + 5
    assert_readable(page.text)


def test_allergies_name_who_recorded_them(browser, app_url):
    chart = ehr_launch(browser, app_url, catalog.ALLERGY_SCENARIO_PATIENT_ID)
    table = re.search(r'<table class="allergies">(.*?)</table>', chart.text, re.S).group(1)
    recorded_by = [visible_text(row.split("<td>")[-1]).strip() for row in table.split("</tr>")[1:-1]]
    assert any(name not in ("", "—") for name in recorded_by)
