"""One referral for its detail page: its evidence as a timeline and its outreach notes, as rows."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F

from .facts import APPOINTMENT, BASED_ON, ENCOUNTER, ENCOUNTER_LINK, FOCUS, INFERRED, NOTE, RELATED, TASK
from .models import Evidence, OutreachNote, Referral
from .rows import evidence_facts, referral_facts
from .state import follow_up
from .team_names import Person, identity_annotations, person_named

KIND_LABELS = {TASK: "Task", APPOINTMENT: "Appointment", ENCOUNTER: "Encounter", NOTE: "Consult note"}
LINK_LABELS = {
    BASED_ON: "references the referral (basedOn)",
    FOCUS: "references the referral (Task.focus)",
    RELATED: "references the referral (context.related)",
    ENCOUNTER_LINK: "written in an encounter based on the referral",
    INFERRED: "inferred: same patient, performer or specialty, within the time window",
}


@dataclass(frozen=True)
class EvidenceRow:
    kind: str
    fhir_ref: str
    status: str
    business_status: str
    date: datetime | None
    link: str
    performer_ref: str
    performer_display: str  # the EHR's name for the performer; "" when it gave none
    specialty: str
    behind_state: bool  # among the evidence that decides the follow-up state

    @property
    def inferred(self) -> bool:
        return self.link == INFERRED

    @property
    def link_label(self) -> str:
        return LINK_LABELS.get(self.link, self.link or "linked")


@dataclass(frozen=True)
class NoteRow:
    created_at: datetime
    author: Person
    contacted: bool
    text: str


def evidence_timeline(referral: Referral, *, today: date) -> list[EvidenceRow]:
    """The referral's evidence, oldest first (undated last), marking what the state function relies on."""
    rows = list(
        Evidence.objects.filter(referral=referral).order_by(
            F("date").asc(nulls_last=True), "kind", "fhir_ref"
        )
    )
    decided = follow_up(referral_facts(referral), [evidence_facts(row) for row in rows], today=today)
    behind = {(e.kind, e.fhir_ref) for e in decided.evidence}
    return [
        EvidenceRow(
            kind=KIND_LABELS.get(row.kind, row.kind),
            fhir_ref=row.fhir_ref,
            status=row.status,
            business_status=row.business_status,
            date=row.date,
            link=row.link,
            performer_ref=row.performer_ref,
            performer_display=row.performer_display,
            specialty=row.specialty_text or row.specialty_code,
            behind_state=(row.kind, row.fhir_ref) in behind,
        )
        for row in rows
    ]


def outreach_notes(referral: Referral) -> list[NoteRow]:
    """The referral's outreach notes, newest first, each with its author's name at the EHR (one query)."""
    notes = (
        OutreachNote.objects.filter(referral=referral)
        .annotate(**identity_annotations("author_id", "author"))
        .order_by("-created_at", "-pk")
    )
    return [
        NoteRow(
            created_at=note.created_at,
            author=person_named(name=note.author_name, fhir_user=note.author_fhir_user),
            contacted=note.contacted,
            text=note.text,
        )
        for note in notes
    ]
