"""Fetching one specialist note's content on demand: the DocumentReference, then its attachment."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.http import Http404

from smartapp.chart.authors import author_names
from smartapp.chart.note_content import NoteBody, attachment_bytes, render_note
from smartapp.chart.notes import NoteRow, author_specialties, note_row
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrError
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.ids import is_fhir_id
from smartapp.ehr.profiles.rules import VendorRules
from smartapp.ehr.profiles.validity import supported_includes

_PREFERRED = ("text/html", "text/plain", "application/pdf")


@dataclass(frozen=True)
class OpenedNote:
    row: NoteRow
    body: NoteBody


def note_open(
    client: EhrClient, *, document_id: str, patient_id: str, rules: VendorRules | None = None
) -> OpenedNote:
    """The note `document_id` of `patient_id`, its best attachment fetched and rendered safely; the search
    asks only for what the vendor's `rules` support (chart/sections.py).

    A note of another patient is not found (no IDOR through the id in the URL), whatever the token allows.
    """
    if not is_fhir_id(document_id):
        raise Http404("No such note.")
    document, row = _document(client, note_query(document_id, patient_id, rules), document_id, patient_id)
    attachment = _best_attachment(document)
    if attachment is None:
        return OpenedNote(row, render_note("", b""))
    content_type = attachment.get("contentType") if isinstance(attachment.get("contentType"), str) else ""
    data = attachment_bytes(attachment)
    if data is None and isinstance(attachment.get("url"), str):
        fetched = client.binary(attachment["url"], accept=content_type or "*/*")
        content_type, data = content_type or fetched.content_type, fetched.data
    if data is None:
        raise EhrBadResponse()
    return OpenedNote(row, render_note(content_type, data))


def note_open_with_patient(
    client: EhrClient,
    *,
    document_id: str,
    patient_id: str,
    patient: dict | None = None,
    rules: VendorRules | None = None,
) -> tuple[OpenedNote, dict | None]:
    """The note (as note_open) and the Patient it belongs to, read at the same time unless `patient` is
    given (the chart's, reused). A Patient that cannot be read is None: the note is still shown, with a
    warning in place of the banner. An expired token stops both."""
    if patient is not None:
        return note_open(client, document_id=document_id, patient_id=patient_id, rules=rules), patient
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(client.read, "Patient", patient_id)
        note = note_open(client, document_id=document_id, patient_id=patient_id, rules=rules)
        return note, _patient_or_none(reading.result)


def _patient_or_none(read) -> dict | None:
    try:
        return read()
    except EhrAuthExpired:
        raise
    except EhrError:
        return None


def note_query(document_id: str, patient_id: str, rules: VendorRules | None = None) -> list[tuple[str, str]]:
    """The search for one note of one patient, its authors included where the vendor supports that."""
    wanted = ("DocumentReference:author",)
    includes = wanted if rules is None else supported_includes(rules, "DocumentReference", wanted)
    return [("_id", document_id), ("patient", patient_id), *(("_include", value) for value in includes)]


def _document(client: EhrClient, query: list, document_id: str, patient_id: str) -> tuple[dict, NoteRow]:
    """The DocumentReference and its row, its authors named from the same request (as in the chart)."""
    found = client.search("DocumentReference", query)
    documents = [d for d in found.matches if d.get("id") == document_id]
    if len(documents) != 1 or _subject(documents[0]) != f"Patient/{patient_id}":
        raise Http404("No such note.")
    included = found.included
    return documents[0], note_row(documents[0], author_specialties(included), author_names(included))


def _subject(document: dict) -> str:
    subject = document.get("subject")
    return subject.get("reference", "") if isinstance(subject, dict) else ""


def _best_attachment(document: dict) -> dict | None:
    attachments = [
        c["attachment"]
        for c in document.get("content", [])
        if isinstance(c, dict) and isinstance(c.get("attachment"), dict)
    ]
    for media_type in _PREFERRED:
        for attachment in attachments:
            if str(attachment.get("contentType", "")).split(";")[0].strip().lower() == media_type:
                return attachment
    return attachments[0] if attachments else None
