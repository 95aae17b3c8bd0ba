"""Coordinator outreach: a note on a referral, written once per idempotency key, audited in the same
transaction. The note's text is PHI: it goes to the database only, never to a log or an audit event."""

from django.db import transaction

from .models import OutreachNote, Referral


class OutreachKeyReused(Exception):
    """The idempotency key belongs to a note on another referral or by another author."""


@transaction.atomic
def outreach_note_add(
    *, referral: Referral, author_id: int, text: str, contacted: bool, key: str, audit
) -> tuple[OutreachNote, bool]:
    """(note, created). A second call with the same `key` (a double submit, a retried POST) returns the
    first note and writes nothing; `audit(note)` is called only when a note is created."""
    note, created = OutreachNote.objects.get_or_create(
        idempotency_key=key,
        defaults={"referral": referral, "author_id": author_id, "text": text, "contacted": contacted},
    )
    if not created and (note.referral_id != referral.pk or note.author_id != author_id):
        raise OutreachKeyReused
    if created:
        audit(note)
    return note, created
