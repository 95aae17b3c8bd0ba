"""Clinical notes: DocumentReferences whose content is a Binary (or, sometimes, inline data)."""

import base64
import hashlib

from . import catalog
from .chart import Chart
from .documents import note_lines, render
from .elements import concept, ref, resource
from .terminology import LOINC, NOTE_CATEGORY, NOTE_TYPES, SNOMED, SPECIALTIES

ROUTINE_SPECIALTIES = (
    "general-practice",
    "cardiology",
    "endocrinology",
    "nephrology",
    "pulmonology",
    "gastroenterology",
)
ROUTINE_KINDS = ("text",) * 5 + ("html",) * 3 + ("pdf",) * 2


def notes_for(chart: Chart) -> list[dict]:
    """The patient's notes (not counting those written for an encounter or a referral)."""
    if chart.patient_id == catalog.NOTES_SCENARIO_PATIENT_ID:
        return _scenario(chart)
    count = catalog.LARGE_PATIENT_NOTES if chart.patient_id == catalog.LARGE_PATIENT_ID else None
    out = []
    for _ in range(count or chart.rng.randint(1, 3)):
        out += _routine_note(chart, spread=4000 if count else 700)
    return out


def note(chart: Chart, specialty: str, note_type: str, offset: int, **options) -> list[dict]:
    """A DocumentReference and, unless the content is inline, its Binary.

    Options: kind (see documents.CONTENT_TYPES, default "text"), inline (bool), author (a Practitioner id;
    default the specialty's specialist or the PCP), encounter and referral (ids for context), doc_id.
    """
    doc_id = options.get("doc_id") or chart.next_id("doc")
    when = chart.clock.instant(offset, hour=15)
    lines = note_lines(specialty, note_type, chart.clock.date(offset), chart.rng)
    content_type, data = render(options.get("kind", "text"), lines)
    attachment = {"contentType": content_type, "language": "en-US", "title": lines[0], "creation": when}
    encoded = base64.b64encode(data).decode("ascii")
    docref = _document_reference(chart, doc_id, specialty, note_type, when, attachment, options)
    if options.get("inline"):
        attachment["data"] = encoded
        return [docref]
    binary_id = f"bin-{doc_id.removeprefix('doc-')}"
    attachment.update(
        url=f"Binary/{binary_id}",
        size=len(data),
        hash=base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),  # noqa: S324 - FHIR Attachment.hash is SHA-1
    )
    binary = resource(
        "Binary",
        binary_id,
        contentType=content_type,
        securityContext=ref("DocumentReference", doc_id),
        data=encoded,
    )
    return [docref, binary]


def _document_reference(chart, doc_id, specialty, note_type, when, attachment, options) -> dict:
    loinc_code, loinc_display = NOTE_TYPES[note_type]
    setting_code, setting_display = SPECIALTIES[specialty].practice_setting
    author = options.get("author") or catalog.SPECIALIST_IDS.get(specialty, chart.pcp_id)
    context = {"period": {"start": when}, "practiceSetting": concept(SNOMED, setting_code, setting_display)}
    if encounter := options.get("encounter"):
        context["encounter"] = [ref("Encounter", encounter)]
    if referral := options.get("referral"):
        context["related"] = [ref("ServiceRequest", referral)]
    return resource(
        "DocumentReference",
        doc_id,
        status="current",
        docStatus="final",
        type=concept(LOINC, loinc_code, loinc_display),
        category=[concept(NOTE_CATEGORY, "clinical-note", "Clinical Note")],
        subject=chart.subject,
        date=when,
        author=[ref("Practitioner", author)],
        custodian=ref("Organization", catalog.ORGANIZATION_IDS["clinics"]),
        description=attachment["title"],
        content=[{"attachment": attachment}],
        context=context,
    )


def _scenario(chart: Chart) -> list[dict]:
    ids = catalog.NOTE_IDS
    return [
        *note(chart, "cardiology", "consult", -200, kind="text", doc_id=ids["plain-text"]),
        *note(chart, "endocrinology", "consult", -150, kind="html", doc_id=ids["html"]),
        *note(chart, "nephrology", "consult", -100, kind="hostile-html", doc_id=ids["hostile-html"]),
        *note(chart, "pulmonology", "consult", -60, kind="pdf", doc_id=ids["pdf"]),
        *note(chart, "gastroenterology", "progress", -30, kind="text", inline=True, doc_id=ids["inline"]),
        *note(
            chart, "internal-medicine", "progress", -10, kind="html", inline=True, doc_id=ids["inline-html"]
        ),
    ]


def _routine_note(chart: Chart, spread: int) -> list[dict]:
    rng = chart.rng
    specialty = rng.choice(ROUTINE_SPECIALTIES)
    note_type = "progress" if specialty == "general-practice" else rng.choice(("consult", "progress"))
    kind = rng.choice(ROUTINE_KINDS)
    return note(chart, specialty, note_type, -rng.randint(1, spread), kind=kind, inline=rng.random() < 0.1)
