"""Hostile-input battery, FHIR: what a hostile or broken EHR puts in a chart and in a note.

The safe outcome of a chart whose EHR answers badly is documented in SECURITY.md 5.5: an unreadable
Patient leaves the rest of the chart shown under a warning in place of the banner (docs/security.md
"Control characters": a lone surrogate is one such Patient); an unreadable search fails its own section
("Could not be loaded", with a retry), never reads as "none recorded", and the rest of the chart shows.
Hostile values are escaped and cut to size. A note's content never runs: sanitized HTML in a sandboxed
frame, a PDF only if it is one, anything else a sentence. Each case also checks that nothing was stored and
that the EHR requests were audited. The EHR is the loopback fake of fake_registration.py, except where the
sandbox stores the hostile resource itself (smartapp.sandbox.store.save_resource).
"""

import base64
import json
import re

import pytest

from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource
from smartapp.sandbox.synthetic import catalog
from tests.ehr.auth_fakes import Answer, html_answer
from tests.launch.conftest import ehr_launch
from tests.security.battery import Watch, assert_clear_page, body_of
from tests.security.fake_registration import PATIENT, fhir, patient, searchset

NO_ALLERGIES = ("No allergy information recorded", "no known allergies")


def fhir_bytes(body: bytes, content_type: str = "application/fhir+json") -> Answer:
    return Answer(200, body, content_type=content_type)


def launched(client, ehr) -> str:
    """A launch from the fake EHR; the chart's URL."""
    landing = ehr.launch(client)
    assert landing.status_code == 302, body_of(landing)[:300]
    return landing["Location"]


def allergy_section(body: str) -> str:
    return re.search(r'<section class="card" id="allergies".*?</section>', body, re.S).group(0)


def allergy(text: str, patient_id: str = PATIENT, **elements) -> dict:
    return {
        "resourceType": "AllergyIntolerance",
        "id": "a-1",
        "patient": {"reference": f"Patient/{patient_id}"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": text},
        **elements,
    }


# -- an unreadable Patient: the rest of the chart, under a warning -------------------------------------------
UNREADABLE_PATIENT = {
    "fhir-patient-html": html_answer(200),
    "fhir-patient-malformed-json": fhir_bytes(b'{"resourceType": "Patient", "id": '),
    "fhir-patient-json-array": fhir_bytes(b"[]"),
    "fhir-patient-wrong-type": fhir(searchset()),
    # A lone surrogate escape is read with U+FFFD in its place (test_control_characters.py); bad UTF-8 is not.
    "fhir-patient-invalid-utf8": fhir_bytes(b'{"resourceType": "Patient", "name": [{"text": "\xff"}]}'),
    "fhir-patient-nan": fhir_bytes(b'{"resourceType": "Patient", "id": "p-1", "multipleBirthInteger": NaN}'),
}


@pytest.mark.parametrize("answer", UNREADABLE_PATIENT.values(), ids=UNREADABLE_PATIENT.keys())
def test_an_unreadable_patient_shows_the_rest_of_the_chart_under_a_warning(client, hostile_ehr, answer):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = answer
    watch = Watch()

    page = client.get(chart)

    assert_clear_page(page, 200, "could not be read from the EHR", "Try again", 'id="allergies"')
    assert watch.grown() == {}
    watch.event("fhir.read", "200")  # the read is audited (resource type, never content)


WRONG_SHAPES = {
    "fhir-patient-coding-not-a-list": {"identifier": [{"type": {"coding": 5}, "value": "MRN-1"}]},
    "fhir-patient-coding-an-object": {"identifier": [{"type": {"coding": {"code": "MR"}}, "value": "MRN-1"}]},
    "fhir-patient-elements-of-the-wrong-type": {"name": "A", "gender": 5, "birthDate": [1], "identifier": {}},
    "fhir-patient-given-not-a-list": {"name": [{"given": "Ann", "family": ["x"]}]},
}  # fmt: skip


@pytest.mark.parametrize("elements", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_patient_of_the_wrong_shapes_still_shows_the_chart(client, hostile_ehr, elements):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = fhir(patient(**elements))
    watch = Watch()

    page = client.get(chart)

    assert_clear_page(page, 200, "Allergies")
    assert watch.grown() == {}
    watch.event("fhir.read", "200")


# -- an unreadable search: its own section fails, the chart shows --------------------------------------
def _deep(levels: int) -> bytes:
    return b'{"resourceType": "Bundle", "type": "searchset", "entry": ' + b"[" * levels + b"]" * levels + b"}"


UNREADABLE_SEARCH = {
    "fhir-search-html": html_answer(200),
    "fhir-search-html-labelled-json": fhir_bytes(b"<html><body>Sign in</body></html>"),
    "fhir-search-malformed-json": fhir_bytes(b'{"resourceType": "Bundle", "entry": ['),
    "fhir-search-not-a-bundle": fhir(patient()),
    "fhir-search-entry-not-a-list": fhir({"resourceType": "Bundle", "type": "searchset", "entry": {"x": 1}}),
    "fhir-search-nan": fhir_bytes(b'{"resourceType": "Bundle", "type": "searchset", "total": NaN}'),
    "fhir-search-deeply-nested": fhir_bytes(_deep(5000)),
    "fhir-search-invalid-utf8": fhir_bytes(
        b'{"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": '
        + json.dumps(allergy("x")).encode().replace(b'"x"', b'"Pea\xffnut"')
        + b"}]}"
    ),
    "fhir-search-too-many-entries": fhir(
        {"resourceType": "Bundle", "type": "searchset", "entry": [{}] * 5001}
    ),
    "fhir-search-empty-body": fhir_bytes(b""),
}


@pytest.mark.parametrize("answer", UNREADABLE_SEARCH.values(), ids=UNREADABLE_SEARCH.keys())
def test_an_unreadable_search_fails_its_section_and_never_reads_as_none(client, hostile_ehr, answer):
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = answer
    watch = Watch()

    page = client.get(chart)

    body = assert_clear_page(page, 200, "Test Battery")  # the rest of the chart: the banner's name
    section = allergy_section(body)
    assert "Could not be loaded from the EHR just now." in section and "Try again" in section
    assert not any(words in section for words in NO_ALLERGIES)
    assert watch.grown() == {}
    watch.event("fhir.search", "200", resource_types="AllergyIntolerance")


def test_an_entry_of_another_patient_fails_the_section_instead_of_showing(client, hostile_ehr):
    """A search for this patient that answers with another patient's allergy: none of it is shown."""
    chart = launched(client, hostile_ehr)
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = fhir(
        searchset(allergy("Peanut"), {**allergy("Penicillin", patient_id="p-2"), "id": "a-2"})
    )
    watch = Watch()

    page = client.get(chart)

    section = allergy_section(assert_clear_page(page, 200))
    assert "Penicillin" not in section and "Peanut" not in section
    assert "Could not be loaded from the EHR just now." in section
    assert watch.grown() == {}
    watch.event("fhir.search", "200")


# -- hostile values: escaped and cut to size ------------------------------------------------------------
HOSTILE_VALUES = {
    "fhir-value-markup": '<script>alert(1)</script><img src=x onerror="alert(2)">',
    "fhir-value-rtl-override": "Ann\u202e<b>evil</b>\u202c",
    "fhir-value-nul": "Ann\x00<script>alert(1)</script>",
    "fhir-value-zero-width-and-combining": "A\u200b\u200dn\u0301\u0338n" * 50,
    "fhir-value-huge": "<b>" + "A" * 1_000_000,
}


@pytest.mark.parametrize("value", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
def test_a_hostile_value_in_a_fhir_field_is_escaped_and_bounded(client, hostile_ehr, value):
    chart = launched(client, hostile_ehr)
    hostile_patient = patient(name=[{"text": value}], gender=value, birthDate=value)
    hostile_ehr.server.answers[f"/fhir/Patient/{PATIENT}"] = fhir(hostile_patient)
    hostile_ehr.server.answers["/fhir/AllergyIntolerance"] = fhir(
        searchset(allergy(value, reaction=[{"manifestation": [{"text": value}]}], note=[{"text": value}]))
    )
    watch = Watch()

    page = client.get(chart)

    body = assert_clear_page(page, 200)
    for raw in ("<script>", "<img", 'onerror="', "<b>"):
        assert raw not in body
    assert "&lt;" in body or "<" not in value  # shown as text
    assert len(body) < 50_000  # every value is cut: a 1 MB string does not reach the page
    assert watch.grown() == {}
    watch.event("fhir.read", "200")


def test_hostile_values_stored_in_the_sandbox_ehr_are_escaped(browser, app_url):
    """The same through the sandbox EHR: its store holds the hostile Patient and allergy themselves."""
    patient_id = catalog.TYPICAL_PATIENT_ID
    stored = Resource.objects.get(resource_type="Patient", fhir_id=patient_id).body
    hostile = "<script>alert(1)</script>\u202e\x00" + "Z" * 100_000
    save_resource({**stored, "name": [{"use": "official", "text": hostile}]})
    save_resource(allergy(hostile, patient_id=patient_id, id="hostile-1"))
    watch = Watch()

    page = ehr_launch(browser, app_url, patient_id)

    body = assert_clear_page(page, 200)
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "Z" * 201 not in body
    assert watch.grown() == {"launch": 1, "grant": 1, "user": 1}  # the launch itself, nothing else
    watch.event("fhir.search", "200")


# -- notes: nothing in them runs --------------------------------------------------------------------------
NOTE_ID = "doc-hostile"


def note(*attachments, subject: str = f"Patient/{PATIENT}") -> dict:
    return {
        "resourceType": "DocumentReference",
        "id": NOTE_ID,
        "status": "current",
        "subject": {"reference": subject},
        "type": {"text": "Consult note"},
        "date": "2025-01-01T00:00:00Z",
        "content": [{"attachment": a} for a in attachments],
    }


def inline(content_type: str, data: bytes) -> dict:
    return {"contentType": content_type, "data": base64.b64encode(data).decode()}


def serve_note(ehr, document: dict) -> None:
    ehr.server.answers["/fhir/DocumentReference"] = fhir(searchset(document))


def open_note(client, ehr, chart: str, document: dict, suffix: str = ""):
    serve_note(ehr, document)
    launch_id = chart.strip("/").split("/")[-1]
    return client.get(f"/notes/{launch_id}/{NOTE_ID}/{suffix}")


SCRIPTED_HTML = {
    "note-script": b"<p>Plan</p><script>alert(1)</script>",
    "note-img-onerror": b"<img src=x onerror=\"fetch('http://127.0.0.1:9/x')\">",
    "note-svg-onload": b"<svg onload=alert(1)><script>alert(2)</script></svg>",
    "note-javascript-link": b'<a href="javascript:alert(1)">open</a><a href=" JaVaScRiPt:alert(2)">x</a>',
    "note-entity-encoded-javascript-link": b'<a href="&#106;avascript&#58;alert(1)">open</a>',
    "note-data-url-link": b'<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "note-iframe": b'<iframe src="javascript:alert(1)"></iframe><object data="x.swf"></object>',
    "note-meta-refresh": b'<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "note-form": b'<form action="javascript:alert(1)"><button formaction="javascript:x">Go</button></form>',
    "note-base-and-link": b'<base href="http://127.0.0.2/"><link rel="stylesheet" href="http://127.0.0.2/s.css">',
    "note-style-and-handlers": b'<div style="background:url(javascript:alert(1))" onclick="alert(2)">x</div>',
    "note-utf7-script": b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
}
RUNNABLE = ("<script", "onerror", "onload", "onclick", "javascript:", "<svg", "<iframe", "<object", "<meta",
            "<base", "<link", "style=", "formaction", "data:text")  # fmt: skip


@pytest.mark.parametrize("markup", SCRIPTED_HTML.values(), ids=SCRIPTED_HTML.keys())
def test_a_scripted_html_note_is_sanitized_and_served_sandboxed(client, hostile_ehr, sockets, markup):
    chart = launched(client, hostile_ehr)
    content_type = "text/html; charset=utf-7" if b"+ADw-" in markup else "text/html"
    document = note(inline(content_type, markup))
    watch = Watch()

    page = open_note(client, hostile_ehr, chart, document)
    content = open_note(client, hostile_ehr, chart, document, "content")

    assert_clear_page(page, 200, 'sandbox title="Note content"')
    served = assert_clear_page(content, 200).lower()
    assert content["Content-Type"] == "text/html; charset=utf-8"
    assert content["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert content["X-Content-Type-Options"] == "nosniff"
    for runnable in RUNNABLE:
        assert runnable not in served, runnable
    assert watch.grown() == {}
    watch.event("fhir.search", "200", resource_types="DocumentReference")
    assert "127.0.0.2" not in sockets


WRONG_TYPES = {
    # (attachment, what the fake serves at /fhir/Binary/b-1, the sentence on the note page)
    "note-html-labelled-pdf": (
        inline("application/pdf", b"<html><script>alert(1)</script>"),
        None,
        "says it is a PDF but is not one",
    ),
    "note-binary-html-when-pdf-was-asked": (
        {"contentType": "application/pdf", "url": "Binary/b-1"},
        Answer(200, b"<script>alert(1)</script>", content_type="text/html"),
        "says it is a PDF but is not one",
    ),
    "note-svg-image": (
        inline("image/svg+xml", b"<svg onload=alert(1)></svg>"),
        None,
        "an image, which smartapp cannot show",
    ),
    "note-javascript-type": (inline("text/javascript", b"alert(1)"), None, "in a format (text/javascript)"),
    "note-octet-stream": (inline("application/octet-stream", b"MZ\x90\x00"), None, "a file of unknown type"),
    "note-no-type": (inline("", b"<script>alert(1)</script>"), None, "does not say what format"),
}


@pytest.mark.parametrize(("attachment", "binary", "sentence"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_note_of_the_wrong_or_an_unshowable_type_is_a_sentence(
    client, hostile_ehr, attachment, binary, sentence
):
    chart = launched(client, hostile_ehr)
    if binary is not None:
        hostile_ehr.server.answers["/fhir/Binary/b-1"] = binary
    document = note(attachment)
    watch = Watch()

    page = open_note(client, hostile_ehr, chart, document)
    content = open_note(client, hostile_ehr, chart, document, "content")

    assert_clear_page(page, 200, sentence)
    assert "<script" not in body_of(page).split("<main>")[1]
    assert_clear_page(content, 200)
    assert content["Content-Type"] == "text/plain; charset=utf-8"  # never served as HTML, SVG or script
    assert "sandbox" in content["Content-Security-Policy"]
    assert watch.grown() == {}
    watch.event("fhir.search", "200")


def test_a_note_whose_attachment_points_off_the_ehr_is_not_fetched(client, hostile_ehr, sockets):
    """The attachment URL is EHR data: fetched only on the FHIR base, or the token would go along."""
    chart = launched(client, hostile_ehr)
    document = note({"contentType": "text/html", "url": "http://127.0.0.2:9/fhir/Binary/b-1"})
    watch = Watch()

    page = open_note(client, hostile_ehr, chart, document)
    content = open_note(client, hostile_ehr, chart, document, "content")

    assert_clear_page(page, 502, "The EHR answered unexpectedly")
    assert_clear_page(content, 502, "This note could not be loaded.")
    assert "127.0.0.2" not in sockets
    assert watch.grown() == {}
    watch.event("fhir.search", "200")
