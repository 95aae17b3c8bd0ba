"""From fetched sections to what the chart templates show: rows plus each section's state and message.

Pure: no I/O. A section that failed is never shown as empty (SECURITY.md 5.5).
"""

from dataclasses import dataclass

from smartapp.chart import sections
from smartapp.chart.allergies import plain_allergy_line, summarize_allergies
from smartapp.chart.medications import MedicationGroup, reconcile_medications
from smartapp.chart.notes import count_entered_in_error, filter_notes, group_notes, note_filter_choices
from smartapp.chart.plain_medicines import plain_medicine

MESSAGES = {
    sections.FAILED: "Could not be loaded from the EHR just now.",
    sections.FORBIDDEN: "Not shared by your EHR.",
    sections.NOT_GRANTED: "Not shared by your EHR: smartapp was not granted access to it.",
    sections.WITHHELD: "The EHR withheld some of these records; what it shared is shown.",
    sections.TRUNCATED: "Only part of this list could be loaded.",
}
_SHOWS_DATA = (sections.OK, sections.EMPTY, sections.WITHHELD, sections.TRUNCATED)
# Worst first: only a section whose every search came back clean and empty is "empty".
_PRECEDENCE = (
    sections.FAILED,
    sections.FORBIDDEN,
    sections.NOT_GRANTED,
    sections.TRUNCATED,
    sections.WITHHELD,
    sections.OK,
    sections.EMPTY,
)


@dataclass(frozen=True)
class SectionView:
    state: str
    message: str  # "" when the section loaded completely
    rows: object  # the section's rows (None when nothing could be loaded)
    can_retry: bool

    @property
    def loaded(self) -> bool:
        return self.rows is not None


@dataclass(frozen=True)
class MedicationList:
    """The medication section's rows: medicines in use, then past medicines (shown collapsed)."""

    in_use: tuple[MedicationGroup, ...]
    past: tuple[MedicationGroup, ...]
    hidden_entered_in_error: int = 0  # medications whose every record was entered in error


def medication_list(requests: list, statements: list, included: list) -> MedicationList:
    groups = reconcile_medications(requests, statements, included)
    shown = [g for g in groups if g.status != "entered-in-error"]
    return MedicationList(
        in_use=tuple(g for g in shown if g.in_use),
        past=tuple(g for g in shown if not g.in_use),
        hidden_entered_in_error=len(groups) - len(shown),
    )


def _section(states: list[str], build) -> SectionView:
    """One section from one or more searches: the worst state is the section's; rows come from every
    search that loaded, so a failed statement search does not hide the prescriptions that did load."""
    state = next(s for s in _PRECEDENCE if s in states)
    rows = build() if any(s in _SHOWS_DATA for s in states) else None
    return SectionView(state, MESSAGES.get(state, ""), rows, state == sections.FAILED)


def chart_rows(found: dict[str, sections.SectionData], note_filters: dict | None = None) -> dict:
    """Template context for the allergy, medication and notes sections (notes filtered by `note_filters`)."""
    allergies, requests = found["allergies"], found["medication_requests"]
    statements, notes = found["medication_statements"], found["notes"]
    all_notes = group_notes(notes.matches, notes.included)
    return {
        "allergies": _section(
            [allergies.state], lambda: summarize_allergies(allergies.matches, allergies.included)
        ),
        "medications": _section(
            [requests.state, statements.state],
            lambda: medication_list(requests.matches, statements.matches, requests.included),
        ),
        "notes": _section([notes.state], lambda: filter_notes(all_notes, **(note_filters or {}))),
        "notes_hidden": count_entered_in_error(notes.matches),
        "note_choices": note_filter_choices(all_notes),
        "notes_filtered": bool(note_filters),
    }


def patient_rows(found: dict[str, sections.SectionData], note_filters: dict | None = None) -> dict:
    """The patient's own view: the same sections, in plain language, without clinician-only detail."""
    chart = chart_rows(found, note_filters)
    medications = chart["medications"].rows or MedicationList((), ())
    summary = chart["allergies"].rows
    return {
        **chart,
        "medicines": [plain_medicine(g) for g in medications.in_use],
        "past_medicines": [plain_medicine(g) for g in medications.past],
        "allergy_lines": [plain_allergy_line(row) for row in summary.rows] if summary else [],
    }


# SMART style keys -> smartapp's CSS variables (static/css/app.css).
_STYLE_VARIABLES = {
    "color_highlight": "--accent",
    "color_text": "--ink",
    "color_background": "--bg",
    "color_error": "--danger",
}


def style_variables(style: dict[str, str]) -> list[tuple[str, str]]:
    """(CSS variable, colour) pairs from an EHR's validated smart-style colours."""
    return [(var, style[key]) for key, var in _STYLE_VARIABLES.items() if key in style]
