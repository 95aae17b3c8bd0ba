"""A referral panel for the follow-up benchmark: many patients, each with referrals in every state.

`referral_panel(count)` gives `count` ServiceRequests (two per patient, states in turn) with their Tasks,
Appointments, consult Encounters and notes, built by the same builders as the seeded patients.
`panel_changes(fraction)` gives the Tasks of that share of the panel's open referrals with a new business
status, as a coordinator's EHR would record a phone call: the "1% change" of the incremental sync.
"""

from datetime import date

from . import catalog
from .chart import Chart, seeded
from .elements import Clock
from .people import patient
from .referrals import referral
from .terminology import REFERRAL_SPECIALTIES

REFERRALS_PER_PATIENT = 2
PANEL_PREFIX = "panel"
CHANGED_BUSINESS_STATUS = "Patient contacted by the clinic"


def panel_patient_ids(count: int) -> list[str]:
    """The patient ids of a panel of `count` referrals."""
    patients = -(-count // REFERRALS_PER_PATIENT)
    return [f"{PANEL_PREFIX}-{number:05d}" for number in range(1, patients + 1)]


def referral_panel(count: int, *, seed: int = catalog.DEFAULT_SEED, anchor: date | None = None) -> list[dict]:
    """`count` referrals and everything that followed them, on patients of their own. Deterministic."""
    clock = Clock(anchor or date.today())
    out: list[dict] = []
    made = 0
    for number, patient_id in enumerate(panel_patient_ids(count)):
        rng = seeded(seed, patient_id)
        pcp_id = catalog.PRIMARY_CARE_IDS[number % len(catalog.PRIMARY_CARE_IDS)]
        chart = Chart(patient_id, rng, clock, pcp_id)
        out.append(patient(patient_id, rng, clock, pcp_id))
        for _ in range(min(REFERRALS_PER_PATIENT, count - made)):
            state = catalog.FOLLOW_UP_STATES[made % len(catalog.FOLLOW_UP_STATES)]
            specialty = REFERRAL_SPECIALTIES[made % len(REFERRAL_SPECIALTIES)]
            out += referral(chart, state, specialty, consult_note=made % 3 == 0)
            made += 1
    return out


def panel_changes(resources: list[dict], fraction: float) -> list[dict]:
    """Every `1/fraction`-th Task of `resources` with a new business status (the same ones every time)."""
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    step = max(1, round(1 / fraction)) if fraction > 0 else len(tasks) + 1
    return [{**task, "businessStatus": {"text": CHANGED_BUSINESS_STATUS}} for task in tasks[::step]]
