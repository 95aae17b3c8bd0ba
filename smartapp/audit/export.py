"""Audit events as CSV, JSON or a FHIR Bundle, a piece at a time (for StreamingHttpResponse).

Every column of the event goes out, prev_mac and mac included, so an export can be checked against the
chain later. Events hold ids, codes and counts only, never clinical content.
"""

import csv
import json
from collections.abc import Iterable, Iterator

from django.utils import timezone

from smartapp.audit.fhir import as_fhir_audit_event

COLUMNS = (
    "seq", "ts", "action", "outcome", "user_id", "fhir_user", "issuer", "launch_id", "patient_ref",
    "resource_types", "detail", "ip", "user_agent", "key_id", "prev_mac", "mac",
)  # fmt: skip
# A cell a spreadsheet would read as a formula (OWASP "CSV injection"); user agents are anyone's text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def event_values(event) -> dict:
    values = {name: getattr(event, name) for name in COLUMNS}
    values["ts"] = event.ts.isoformat()
    return values


def csv_lines(events: Iterable) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for event in events:
        yield writer.writerow([_cell(value) for value in event_values(event).values()])


def json_lines(events: Iterable) -> Iterator[str]:
    """A JSON array, an event per line."""
    return _array("[\n", (_dumps(event_values(event)) for event in events), "\n]\n")


def fhir_bundle_lines(events: Iterable) -> Iterator[str]:
    """A FHIR R4 Bundle of type collection, an AuditEvent entry per line."""
    now = timezone.now().isoformat().replace("+00:00", "Z")
    opening = _dumps({"resourceType": "Bundle", "type": "collection", "timestamp": now})[:-1]
    yield opening
    entries = (_dumps({"resource": as_fhir_audit_event(event)}) for event in events)
    first = next(entries, None)
    if first is None:  # FHIR JSON has no empty arrays: no events, no "entry"
        yield "}\n"
        return
    yield from _array(',"entry":[\n' + first, entries, "\n]}\n", first_written=True)


def _array(opening: str, items: Iterator[str], closing: str, *, first_written=False) -> Iterator[str]:
    yield opening
    for item in items:
        yield (",\n" if first_written else "") + item
        first_written = True
    yield closing


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _cell(value) -> str:
    text = "" if value is None else _dumps(value) if isinstance(value, dict) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
