import base64
import re

from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.pdf import pdf_document

from .conftest import of_patient


def _content(doc, by_key) -> tuple[str, bytes]:
    attachment = doc["content"][0]["attachment"]
    if "data" in attachment:
        return attachment["contentType"], base64.b64decode(attachment["data"])
    binary = by_key[attachment["url"]]
    assert binary["contentType"] == attachment["contentType"]
    return binary["contentType"], base64.b64decode(binary["data"])


def test_specialist_notes_are_current_clinical_notes_with_loinc_type_setting_and_author(by_key):
    docs = [by_key[f"DocumentReference/{doc_id}"] for doc_id in catalog.NOTE_IDS.values()]
    assert all(d["subject"]["reference"] == f"Patient/{catalog.NOTES_SCENARIO_PATIENT_ID}" for d in docs)
    settings = set()
    for doc in docs:
        assert doc["status"] == "current"
        assert doc["type"]["coding"][0]["system"] == "http://loinc.org"
        assert doc["category"][0]["coding"][0]["code"] == "clinical-note"
        assert by_key[doc["author"][0]["reference"]]["resourceType"] == "Practitioner"
        assert doc["date"].endswith("Z")
        settings.add(doc["context"]["practiceSetting"]["coding"][0]["display"])
    assert {"Cardiology", "Endocrinology", "Nephrology", "Pulmonary medicine", "Gastroenterology"} <= settings


def test_loinc_note_types_include_consult_discharge_and_progress(by_type):
    types = {d["type"]["coding"][0]["code"] for d in by_type["DocumentReference"]}
    assert {"11488-4", "18842-5", "11506-3"} <= types


def test_binaries_are_plain_text_html_and_pdf_and_name_their_note(by_type, by_key):
    assert {b["contentType"] for b in by_type["Binary"]} == {"text/plain", "text/html", "application/pdf"}
    for binary in by_type["Binary"]:
        doc = by_key[binary["securityContext"]["reference"]]
        assert doc["content"][0]["attachment"]["url"] == f"Binary/{binary['id']}"


def test_the_hostile_html_note_carries_script_handlers_javascript_links_and_remote_images(by_key):
    content_type, data = _content(by_key[f"DocumentReference/{catalog.HOSTILE_HTML_NOTE_ID}"], by_key)
    page = data.decode("utf-8")
    assert content_type == "text/html"
    assert "<script>" in page and "onerror=" in page and 'href="javascript:' in page
    assert re.search(r'<img src="https://[^"]+"', page)


def test_some_notes_carry_inline_data_instead_of_a_binary(by_key):
    attachment = by_key[f"DocumentReference/{catalog.INLINE_NOTE_ID}"]["content"][0]["attachment"]
    assert "url" not in attachment
    assert b"Gastroenterology" in base64.b64decode(attachment["data"])


def test_the_pdf_note_is_a_well_formed_pdf(by_key):
    content_type, data = _content(by_key[f"DocumentReference/{catalog.PDF_NOTE_ID}"], by_key)
    assert content_type == "application/pdf"
    _assert_well_formed_pdf(data)
    assert b"Pulmonology" in data


def test_pdf_text_is_escaped():
    data = pdf_document(["a (b) \\ c", "Zoë"])
    _assert_well_formed_pdf(data)
    assert b"(a \\(b\\) \\\\ c) Tj" in data and b"(Zo?) Tj" in data


def test_inpatient_and_emergency_encounters_are_finished_with_a_discharge_summary(by_key, by_type):
    stay = by_key[f"Encounter/{catalog.INPATIENT_ENCOUNTER_ID}"]
    assert (stay["class"]["code"], stay["status"]) == ("IMP", "finished")
    assert stay["period"]["end"] > stay["period"]["start"]
    summaries = [
        d
        for d in by_type["DocumentReference"]
        if d["context"].get("encounter") == [{"reference": f"Encounter/{stay['id']}"}]
    ]
    assert summaries[0]["type"]["coding"][0]["code"] == "18842-5"
    visit = by_key[f"Encounter/{catalog.EMERGENCY_ENCOUNTER_ID}"]
    assert (visit["class"]["code"], visit["status"]) == ("EMER", "finished")


def test_the_large_patient_can_be_paged(by_type):
    requests = of_patient(by_type["MedicationRequest"], catalog.LARGE_PATIENT_ID)
    notes = of_patient(by_type["DocumentReference"], catalog.LARGE_PATIENT_ID)
    assert len(requests) >= 500
    assert len(notes) >= 200


def _assert_well_formed_pdf(data: bytes):
    """Header, trailer, and a cross-reference table whose offsets point at the objects it lists."""
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    startxref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[startxref:].startswith(b"xref\n")
    rows = data[startxref:].split(b"\n")
    count = int(rows[1].split()[1])
    entries = rows[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        assert len(entry) + 1 == 20
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj" % number)
    length = int(re.search(rb"/Length (\d+)", data).group(1))
    stream = data.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(stream) == length
