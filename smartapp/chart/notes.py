"""Specialist notes: DocumentReference resources as rows, grouped by specialty, newest first, filterable.

A note's specialty is taken from the most specific source the EHR filled in: the note's own
`context.practiceSetting`, then the specialty of the author's PractitionerRole, then the kind of note
(consult, discharge summary, progress note). Entered-in-error notes are never shown, only counted.
"""

from dataclasses import dataclass
from datetime import date, datetime

from smartapp.chart import coding
from smartapp.chart.authors import author_names, note_author
from smartapp.chart.coding import SHORT_LIMIT, TEXT_LIMIT
from smartapp.ehr.dates import parse_fhir_datetime

LOINC_SYSTEM = "http://loinc.org"
NOTE_TYPE_GROUPS = {
    "11488-4": "Consult notes",
    "18842-5": "Discharge summaries",
    "11506-3": "Progress notes",
}
OTHER_NOTES = "Other notes"
UNTITLED = "Untitled note"
ENTERED_IN_ERROR = "entered-in-error"
MAX_ATTACHMENTS = 20  # per note; a real note has one or two
MAX_SIZE = 2**53  # attachment.size beyond this is nonsense, not a size
NEWEST_SHOWN = 5  # per group; the rest wait behind "Show N more" so a long record fits a few screens


@dataclass(frozen=True)
class NoteAttachment:
    content_type: str  # as sent, e.g. "text/html; charset=utf-8"; "" when missing
    url: str  # "" for inline-only content
    has_inline_data: bool  # attachment.data is present (decode with note_content.attachment_bytes)
    size: int | None
    title: str
    position: int = 0  # index in DocumentReference.content, to find the raw attachment again


@dataclass(frozen=True)
class NoteRow:
    id: str
    title: str
    type_display: str
    type_code: str
    specialty: str
    author: str
    date: datetime | None  # timezone-aware (UTC when the EHR gave no zone); None sorts last
    status: str
    attachments: tuple[NoteAttachment, ...]

    @property
    def status_words(self) -> str:
        return coding.code_words(self.status)


@dataclass(frozen=True)
class NoteGroup:
    name: str  # the specialty, or a kind of note ("Consult notes") when no specialty is known
    rows: tuple[NoteRow, ...]  # newest first

    @property
    def newest(self) -> tuple[NoteRow, ...]:
        """The notes shown at once."""
        return self.rows[:NEWEST_SHOWN]

    @property
    def older(self) -> tuple[NoteRow, ...]:
        """The notes behind "Show N more" (still filtered and searched like the rest)."""
        return self.rows[NEWEST_SHOWN:]


@dataclass(frozen=True)
class NoteFilterChoices:
    """The values the filter menus offer, each sorted and listed once."""

    types: tuple[str, ...]
    specialties: tuple[str, ...]
    authors: tuple[str, ...]


def group_notes(documents: list[dict], included: list[dict] = ()) -> list[NoteGroup]:
    """Notes grouped by specialty (groups by name, rows newest first); entered-in-error notes left out.

    `included` are the resources the search `_include`d with the notes: the authors' PractitionerRoles
    give specialties, and Practitioners, roles and Organizations give author names.
    """
    specialties, names = author_specialties(included), author_names(included)
    rows = [note_row(d, specialties, names) for d in _dicts(documents) if not is_entered_in_error(d)]
    return _grouped(list(dict.fromkeys(rows)))  # the same note twice (overlapping pages) shows once


def count_entered_in_error(documents: list[dict]) -> int:
    """How many notes `group_notes` hides because the EHR marked them entered-in-error."""
    unique_ids = {_resource_id(d) or id(d) for d in _dicts(documents) if is_entered_in_error(d)}
    return len(unique_ids)


def is_entered_in_error(document) -> bool:
    """Whether the EHR withdrew this note as written in error."""
    return isinstance(document, dict) and coding.status_code(document.get("status")) == ENTERED_IN_ERROR


def filter_notes(
    groups: list[NoteGroup],
    *,
    note_type: str | None = None,
    specialty: str | None = None,
    author: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    text: str | None = None,
) -> list[NoteGroup]:
    """The groups with only the rows matching every given criterion; groups left empty are dropped.

    note_type matches the type's display or code, specialty and author their exact value (casefolded);
    dates are inclusive days, and a note without a date matches no date bound; text is a casefolded
    substring of the title, type, specialty or author.
    """
    kept = []
    for group in groups:
        rows = tuple(
            row
            for row in group.rows
            if _matches(row, note_type, specialty, author, date_from, date_to, _folded(text))
        )
        if rows:
            kept.append(NoteGroup(name=group.name, rows=rows))
    return kept


def note_filter_choices(groups: list[NoteGroup]) -> NoteFilterChoices:
    """The note types, specialties and authors present in `groups`, for the filter menus."""
    rows = [row for group in groups for row in group.rows]

    def distinct(values) -> tuple[str, ...]:
        return tuple(sorted({v for v in values if v}, key=lambda v: (v.casefold(), v)))

    return NoteFilterChoices(
        types=distinct(row.type_display for row in rows),
        specialties=distinct(row.specialty for row in rows),
        authors=distinct(row.author for row in rows),
    )


def note_row(
    document: dict, specialties: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> NoteRow:
    """One DocumentReference as a row; `specialties` and `names` map author references ("Practitioner/12")
    to their role's specialty and to their name."""
    document = document if isinstance(document, dict) else {}
    note_type = document.get("type")
    type_display = coding.display(note_type)
    return NoteRow(
        id=_resource_id(document),
        title=coding.text(document.get("description")) or type_display or UNTITLED,
        type_display=type_display,
        type_code=coding.code_in(note_type, LOINC_SYSTEM) or _first_code(note_type),
        specialty=_specialty(document, specialties or {}),
        author=note_author(document, names or {}),
        date=_note_date(document),
        status=coding.status_code(document.get("status")),
        attachments=_attachments(document.get("content")),
    )


def author_specialties(resources) -> dict[str, str]:
    """Reference ("Practitioner/12" or "PractitionerRole/7") -> the specialty of that author's role.

    Only the PractitionerRoles among `resources` count (an `_include` brings Practitioners too).
    """
    specialties: dict[str, str] = {}
    for role in (r for r in _dicts(resources) if r.get("resourceType") == "PractitionerRole"):
        names = _list(role.get("specialty"))
        specialty = next((_readable(concept) for concept in names if _readable(concept)), "")
        if not specialty:
            continue
        practitioner = coding.reference_key(role.get("practitioner"))
        if practitioner:
            specialties.setdefault(practitioner, specialty)  # the first role listed wins
        if _resource_id(role):
            specialties.setdefault(f"PractitionerRole/{_resource_id(role)}", specialty)
    return specialties


def _grouped(rows: list[NoteRow]) -> list[NoteGroup]:
    by_name: dict[str, list[NoteRow]] = {}
    for row in rows:
        by_name.setdefault(row.specialty, []).append(row)
    return [
        NoteGroup(name=name, rows=tuple(sorted(members, key=_newest_first)))
        for name, members in sorted(by_name.items(), key=lambda item: (item[0].casefold(), item[0]))
    ]


def _newest_first(row: NoteRow) -> tuple:
    # Undated notes last; ties broken by title and id so that the order never depends on the input's.
    timestamp = -row.date.timestamp() if row.date else float("inf")
    return (timestamp, row.title.casefold(), row.id)


def _matches(row: NoteRow, note_type, specialty, author, date_from, date_to, folded_text: str) -> bool:
    if note_type and _folded(note_type) not in (_folded(row.type_display), _folded(row.type_code)):
        return False
    if specialty and _folded(specialty) != _folded(row.specialty):
        return False
    if author and _folded(author) != _folded(row.author):
        return False
    if (date_from or date_to) and not _within(row.date, date_from, date_to):
        return False
    searched = (row.title, row.type_display, row.specialty, row.author)
    return not folded_text or any(folded_text in _folded(field) for field in searched)


def _within(moment: datetime | None, date_from, date_to) -> bool:
    if moment is None:
        return False
    day = moment.date()
    return (not date_from or _as_day(date_from) <= day) and (not date_to or day <= _as_day(date_to))


def _as_day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _specialty(document: dict, specialties: dict[str, str]) -> str:
    context = document.get("context") if isinstance(document.get("context"), dict) else {}
    from_setting = _readable(context.get("practiceSetting"))
    if from_setting:
        return from_setting
    for author in _list(document.get("author")):
        if specialties.get(coding.reference_key(author)):
            return specialties[coding.reference_key(author)]
    return _type_group(document.get("type"))


def _type_group(note_type) -> str:
    loinc = coding.code_in(note_type, LOINC_SYSTEM)
    return NOTE_TYPE_GROUPS.get(loinc) or _readable(note_type) or OTHER_NOTES


def _readable(concept) -> str:
    """A CodeableConcept's text or a coding's display; never a bare code, which means nothing to a reader."""
    if not isinstance(concept, dict):
        return ""
    candidates = [concept.get("text"), *[c.get("display") for c in coding.codings(concept)]]
    names = (coding.without_semantic_tag(coding.text(name)) for name in candidates)
    return next((name for name in names if name), "")


def _first_code(concept) -> str:
    codes = (coding.text(c.get("code"), SHORT_LIMIT) for c in coding.codings(concept))
    return next((code for code in codes if code), "")


def _note_date(document: dict) -> datetime | None:
    context = document.get("context") if isinstance(document.get("context"), dict) else {}
    period = context.get("period") if isinstance(context.get("period"), dict) else {}
    return parse_fhir_datetime(document.get("date")) or parse_fhir_datetime(period.get("start"))


def _attachments(contents) -> tuple[NoteAttachment, ...]:
    attachments = []
    for position, content in enumerate(_list(contents)[: MAX_ATTACHMENTS * 5]):
        attachment = content.get("attachment") if isinstance(content, dict) else None
        if isinstance(attachment, dict):
            attachments.append(_attachment(attachment, position))
    return tuple(attachments[:MAX_ATTACHMENTS])


def _attachment(attachment: dict, position: int) -> NoteAttachment:
    size = attachment.get("size")
    valid_size = isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= MAX_SIZE
    data = attachment.get("data")
    return NoteAttachment(
        content_type=coding.text(attachment.get("contentType"), SHORT_LIMIT * 2),
        url=coding.text(attachment.get("url"), TEXT_LIMIT * 4),
        has_inline_data=isinstance(data, str) and bool(data.strip()),
        size=size if valid_size else None,
        title=coding.text(attachment.get("title")),
        position=position,
    )


def _resource_id(resource) -> str:
    return coding.text(resource.get("id"), SHORT_LIMIT) if isinstance(resource, dict) else ""


def _folded(value) -> str:
    return value.casefold().strip() if isinstance(value, str) else ""


def _dicts(resources) -> list[dict]:
    return [r for r in resources if isinstance(r, dict)] if isinstance(resources, (list, tuple)) else []


def _list(value) -> list:
    return value if isinstance(value, list) else []
