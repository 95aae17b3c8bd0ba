"""Opening a specialist note: fetched on demand, shown so that nothing in it can run."""

import re

from smartapp.sandbox.synthetic import catalog
from tests.launch.conftest import ehr_launch, launch_id_of

NOTES = catalog.NOTE_IDS


def _chart(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.NOTES_SCENARIO_PATIENT_ID)
    return launch_id_of(page), page


def test_the_chart_links_each_note_to_its_viewer(browser, app_url):
    launch_id, page = _chart(browser, app_url)
    assert f"/notes/{launch_id}/{NOTES['pdf']}/" in page.text


def test_a_plain_text_note_is_shown_as_text(browser, app_url):
    launch_id, _ = _chart(browser, app_url)
    page = browser.get(f"{app_url}/notes/{launch_id}/{NOTES['plain-text']}/")
    assert page.status_code == 200
    assert '<pre class="note-text">' in page.text


def test_a_hostile_html_note_is_sanitized_and_served_sandboxed(browser, app_url):
    launch_id, _ = _chart(browser, app_url)
    page = browser.get(f"{app_url}/notes/{launch_id}/{catalog.HOSTILE_HTML_NOTE_ID}/")
    assert "<iframe" in page.text and " sandbox " in page.text

    content = browser.get(f"{app_url}/notes/{launch_id}/{catalog.HOSTILE_HTML_NOTE_ID}/content")
    assert content.status_code == 200
    assert content.headers["Content-Security-Policy"].startswith("sandbox")
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    lowered = content.text.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "javascript:" not in lowered
    assert "<img" not in lowered  # no remote resources


def test_a_pdf_note_opens_inline_or_downloads(browser, app_url):
    launch_id, _ = _chart(browser, app_url)
    inline = browser.get(f"{app_url}/notes/{launch_id}/{NOTES['pdf']}/content")
    assert inline.headers["Content-Type"] == "application/pdf"
    assert inline.content.startswith(b"%PDF-")
    assert inline.headers["Content-Disposition"].startswith("inline")
    download = browser.get(f"{app_url}/notes/{launch_id}/{NOTES['pdf']}/content?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_inline_attachment_data_is_shown_too(browser, app_url):
    launch_id, _ = _chart(browser, app_url)
    page = browser.get(f"{app_url}/notes/{launch_id}/{NOTES['inline']}/")
    assert page.status_code == 200
    assert "could not" not in page.text


def test_a_note_of_another_patient_is_not_found(browser, app_url):
    from smartapp.sandbox.models import Resource

    launch_id, _ = _chart(browser, app_url)
    other = (
        Resource.objects.filter(resource_type="DocumentReference")
        .exclude(patient_id=catalog.NOTES_SCENARIO_PATIENT_ID)
        .first()
    )
    page = browser.get(f"{app_url}/notes/{launch_id}/{other.fhir_id}/")
    assert page.status_code in (403, 404)
    assert browser.get(f"{app_url}/notes/{launch_id}/..%2F..%2Fsecret/").status_code == 404


def test_notes_filter_by_post_and_keep_search_words_out_of_the_url(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.LARGE_PATIENT_ID)
    csrf = browser.cookies.get("csrftoken", path="/")
    everything = page.text.count('href="/notes/')
    filtered = browser.post(
        page.url, data={"csrfmiddlewaretoken": csrf, "specialty": "Cardiology"}, headers={"Referer": page.url}
    )
    assert filtered.status_code == 200
    assert filtered.history[0].status_code == 303  # POST-redirect-GET: Back never resubmits
    assert re.fullmatch(re.escape(page.url) + r"\?filter=[\w-]+#notes", filtered.url)  # no search words
    shown = filtered.text.count('href="/notes/')
    assert 0 < shown < everything
    assert "<h3>Cardiology" in filtered.text


def test_the_print_view_has_every_section(browser, app_url):
    page = ehr_launch(browser, app_url, catalog.TYPICAL_PATIENT_ID)
    printed = browser.get(page.url + "print/")
    assert printed.status_code == 200
    assert all(title in printed.text for title in ("Allergies", "Medications", "Specialist notes"))
    assert 'class="note-filter"' not in printed.text


def test_the_viewer_names_the_author_from_the_same_search(browser, app_url):
    from smartapp.sandbox.models import Resource

    note = Resource.objects.get(resource_type="DocumentReference", fhir_id=NOTES["plain-text"]).body
    author_id = note["author"][0]["reference"].split("/")[-1]
    author = Resource.objects.get(resource_type="Practitioner", fhir_id=author_id).body
    launch_id, _ = _chart(browser, app_url)

    page = browser.get(f"{app_url}/notes/{launch_id}/{NOTES['plain-text']}/")

    assert author["name"][0]["family"] in page.text
    assert "author not recorded" not in page.text
