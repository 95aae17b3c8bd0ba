"""The deterministic generator: the same seed and anchor day always give the same resources."""

from datetime import date

from . import catalog
from .allergies import allergies_for
from .chart import Chart, seeded
from .elements import Clock
from .encounters import encounters_for
from .medications import medication_catalog, medications_for
from .notes import notes_for
from .people import patient, staff
from .referrals import referrals_for

# Each builder adds one part of a chart; they run in this order for every patient.
CHART_PARTS = (medications_for, allergies_for, notes_for, encounters_for, referrals_for)


def generate(seed: int = catalog.DEFAULT_SEED, anchor: date | None = None) -> list[dict]:
    """Every synthetic resource (FHIR R4 JSON), staff and formulary first, then one patient at a time.

    Pure for a given `anchor`; without one, dates are relative to today.
    """
    clock = Clock(anchor or date.today())
    out = [*staff(seeded(seed, "staff")), *medication_catalog()]
    for patient_id in catalog.PATIENT_IDS:
        out += patient_record(patient_id, seed, clock)
    return out


def patient_record(patient_id: str, seed: int, clock: Clock) -> list[dict]:
    """One patient's Patient resource and whole chart, from that patient's own random stream."""
    rng = seeded(seed, patient_id)
    number = int(patient_id.rsplit("-", 1)[1])
    pcp_id = catalog.PRIMARY_CARE_IDS[number % len(catalog.PRIMARY_CARE_IDS)]
    chart = Chart(patient_id, rng, clock, pcp_id)
    out = [patient(patient_id, rng, clock, pcp_id)]
    for part in CHART_PARTS:
        out += part(chart)
    return out
