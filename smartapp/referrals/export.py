"""The worklist as CSV, a line at a time (for StreamingHttpResponse), safe to open in a spreadsheet.

Columns a person reads first (names, MRN, dates spelled "20 Nov 2026", times in the configured zone with
its abbreviation), each date also in ISO form for sorting and for machines, and the EHR's ids last.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.utils import timezone

from smartapp.core.moments import moment_of

from .models import Referral
from .worklist import WorklistRow, worklist_row

# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, and tab or carriage
# return, which some spreadsheets skip before looking for one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_KINDS = dict(Referral.KINDS)
_YES_NO = {True: "yes", False: "no", None: ""}


@dataclass(frozen=True)
class _Clock:
    today: date
    zone: tzinfo

    def day(self, value: date | datetime | None) -> str:
        """ "20 Nov 2026" (an instant: its day in the zone)."""
        moment = moment_of(value, self.zone)
        return moment.day if moment else ""

    def time(self, value: datetime | None) -> str:
        """ "5 Dec 2026, 14:03 EST"."""
        moment = moment_of(value, self.zone)
        return moment.day_time if moment else ""

    def iso(self, value: date | datetime | None) -> str:
        """ "2026-11-20"; an instant to the second in the zone, "2026-12-05T14:03:09-05:00"."""
        if isinstance(value, datetime):
            return timezone.localtime(value, self.zone).replace(microsecond=0).isoformat()
        return value.isoformat() if value else ""


def _work_status(row: WorklistRow, clock: _Clock) -> str:
    """Open, snoozed until a day, or closed with its reason (and the closer's words, if any)."""
    if row.closed_reason:
        return f"Closed: {row.closed_label}" + (f" ({row.closed_note})" if row.closed_note else "")
    return f"Snoozed until {clock.day(row.snoozed_until)}" if row.snoozed else "Open"


_Column = tuple[str, Callable[[WorklistRow, _Clock], object]]
COLUMNS: tuple[_Column, ...] = (
    ("Patient", lambda r, c: r.patient_display),
    ("MRN", lambda r, c: r.patient_mrn),
    ("Date of birth", lambda r, c: c.day(r.patient_birth_date)),
    ("Date of birth (ISO)", lambda r, c: c.iso(r.patient_birth_date)),
    ("Phone", lambda r, c: r.patient_phone),
    ("Kind", lambda r, c: _KINDS.get(r.kind, r.kind)),
    ("Specialty", lambda r, c: r.specialty_display or r.specialty_code),
    ("Reason", lambda r, c: r.reason),
    ("Requester", lambda r, c: r.requester_display),
    ("Performer", lambda r, c: r.performer_display),
    ("Referred or discharged", lambda r, c: c.day(r.authored_on)),
    ("Referred or discharged (ISO)", lambda r, c: c.iso(r.authored_on)),
    ("Due", lambda r, c: c.day(r.due_date)),
    ("Due (ISO)", lambda r, c: c.iso(r.due_date)),
    ("Days overdue", lambda r, c: r.days_overdue),
    ("Follow-up state", lambda r, c: r.state_label),
    ("State evidence", lambda r, c: r.state_evidence),
    ("Inferred", lambda r, c: "yes" if r.state_inferred else ""),
    ("Last evidence", lambda r, c: c.time(r.last_evidence_at)),
    ("Last evidence (ISO)", lambda r, c: c.iso(r.last_evidence_at)),
    ("Last outreach", lambda r, c: c.time(r.last_outreach_at)),
    ("Last outreach (ISO)", lambda r, c: c.iso(r.last_outreach_at)),
    ("Last outreach reached the patient", lambda r, c: _YES_NO[r.last_outreach_contacted]),
    ("Owner", lambda r, c: r.owner_display),
    ("Next action", lambda r, c: c.day(r.next_action_on)),
    ("Next action (ISO)", lambda r, c: c.iso(r.next_action_on)),
    ("Work status", _work_status),
    ("EHR", lambda r, c: r.connection),
    ("Patient id (FHIR)", lambda r, c: r.patient_id),
    ("Referral id (FHIR)", lambda r, c: r.fhir_ref),
    ("Requester id (FHIR)", lambda r, c: r.requester_ref),
    ("Performer id (FHIR)", lambda r, c: r.performer_ref),
)
HEADER = tuple(name for name, _ in COLUMNS)


class _Line:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """`value` as text; a quote in front of anything a spreadsheet would evaluate."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(values: Iterable[dict], *, today: date, zone: tzinfo | None = None) -> Iterator[str]:
    """The header, then a line per referral of `values` (worklist_referrals(...).iterator()); times in
    `zone`, by default the current time zone, taken now: the lines are written after the view returns."""
    return _lines(values, _Clock(today=today, zone=zone or timezone.get_current_timezone()))


def _lines(values: Iterable[dict], clock: _Clock) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for value in values:
        row = worklist_row(value, today=clock.today)
        yield writer.writerow([csv_cell(cell(row, clock)) for _, cell in COLUMNS])
