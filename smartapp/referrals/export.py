"""The worklist as CSV, a line at a time (for StreamingHttpResponse), safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from .worklist import WorklistRow, worklist_row

HEADER = (
    "connection",
    "referral",
    "kind",
    "patient id",
    "patient",
    "specialty",
    "reason",
    "performer",
    "authored",
    "due",
    "days overdue",
    "state",
    "state evidence",
    "inferred",
    "last evidence",
    "last outreach",
    "last outreach contacted",
)
# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, and tab or carriage
# return, which some spreadsheets skip before looking for one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """`value` as text; a quote in front of anything a spreadsheet would evaluate."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(values: Iterable[dict], *, today: date) -> Iterator[str]:
    """The header, then a line per referral of `values` (worklist_referrals(...).iterator())."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for value in values:
        yield writer.writerow(_cells(worklist_row(value, today=today)))


def _cells(row: WorklistRow) -> list[str]:
    values = (
        row.connection,
        row.fhir_ref,
        row.kind,
        row.patient_id,
        row.patient_display,
        row.specialty_display or row.specialty_code,
        row.reason,
        row.performer_ref,
        row.authored_on,
        row.due_date,
        row.days_overdue,
        row.state,
        row.state_evidence,
        "yes" if row.state_inferred else "",
        row.last_evidence_at,
        row.last_outreach_at,
        {True: "yes", False: "no", None: ""}[row.last_outreach_contacted],
    )
    return [csv_cell(value) for value in values]
