"""The patient's own medicine list, in plain words, from the reconciled groups. Pure.

It follows the chart's rules (medication_truth): today's medicines come from the sources that speak for
today, past medicines are listed apart with their last date, and the directions are the prescriber's
whenever a current prescription gives them, with a plain word when the patient's own report differs.
"""

from dataclasses import dataclass

from smartapp.chart.medications import MedicationGroup, same_dose

PLAIN_ENDINGS = {"on-hold": "paused", "suspended": "paused", "completed": "finished"}
REPORTED_OTHERWISE = "You told us you take it differently: {dosage}. Please check with your care team."
RECORDED_STOPPED = "Your record also says it was stopped. Please check with your care team."
NOT_TAKING = "You told us you do not take it. Please check with your care team."


@dataclass(frozen=True)
class PlainMedicine:
    name: str  # "Amlodipine 5 mg oral tablet"
    directions: str  # "take 1 tablet once daily", "" when none recorded; for a past medicine how it ended
    note: str  # a plain warning when the record disagrees with itself, else ""
    in_use: bool
    last_date: str  # a past medicine's newest date, as sent (the template formats it)


def plain_medicine(group: MedicationGroup) -> PlainMedicine:
    """What the patient reads for one medicine: directions for today, or how and when it ended."""
    name = plain_name(group.name)
    if not group.in_use:
        return PlainMedicine(name, PLAIN_ENDINGS.get(group.status, "stopped"), "", False, group.last_date)
    prescribed = _prescribed(group)
    shown = prescribed or next((s for s in group.current if s.dosage), None)
    directions = _lower_first(shown.dosage) if shown else ""
    if group.status in PLAIN_ENDINGS and group.status != "completed":
        directions = f"{PLAIN_ENDINGS[group.status]}{'; ' + directions if directions else ''}"
    return PlainMedicine(name, directions, _note(group, prescribed), True, "")


def plain_name(name: str) -> str:
    """RxNorm's "amlodipine 5 MG Oral Tablet" as "Amlodipine 5 mg oral tablet"."""
    words = [word.lower() if word.isupper() or word.istitle() else word for word in name.split(" ")]
    plain = " ".join(words)
    return plain[:1].upper() + plain[1:]


def _prescribed(group: MedicationGroup):
    """The newest current prescription (a clinician's order, not a report) that gives directions."""
    orders = [s for s in group.current if s.kind == "request" and not s.patient_reported and s.dosage]
    return orders[0] if orders else None


def _note(group: MedicationGroup, prescribed) -> str:
    current = [s for s in group.current if s.patient_reported and s.status in ("not-taken", "stopped")]
    if current and prescribed:
        return NOT_TAKING
    reported = [s for s in group.current if s.patient_reported and s.dosage and s.status == "active"]
    differing = [s for s in reported if prescribed and not same_dose(s, prescribed)]
    if differing:
        return REPORTED_OTHERWISE.format(dosage=_lower_first(differing[0].dosage))
    if group.status == "stopped" and any(s.status == "active" for s in group.current):
        return RECORDED_STOPPED
    return ""


def _lower_first(text: str) -> str:
    return f"{text[:1].lower()}{text[1:]}"
