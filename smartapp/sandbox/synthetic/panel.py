"""A referral panel for the follow-up benchmark: many patients, each with referrals in every state.

`referral_panel(count)` gives `count` ServiceRequests (two per patient, states in turn) with their Tasks,
Appointments, consult Encounters and notes, built by the same builders as the seeded patients.
`history_years` adds each patient's older record: referrals and hospital discharges spread over that many
years before the anchor, as a real EHR's first sync brings them (issue 12: the tracking horizon must keep
them off the worklists). The recent part is the same with or without history.
`panel_changes(fraction)` gives the Tasks of that share of the panel's open referrals with a new business
status, as a coordinator's EHR would record a phone call: the "1% change" of the incremental sync.
"""

from dataclasses import replace
from datetime import date, timedelta

from . import catalog
from .chart import Chart, seeded
from .elements import Clock
from .encounters import admission, encounter
from .people import patient
from .referrals import referral
from .terminology import REFERRAL_SPECIALTIES

REFERRALS_PER_PATIENT = 2
PANEL_PREFIX = "panel"
CHANGED_BUSINESS_STATUS = "Patient contacted by the clinic"
HISTORY_PER_PATIENT = 8  # older items per patient: referrals and discharges, alternately
# How old referrals ended up: mostly seen, some never closed in the EHR (what floods "overdue").
HISTORY_STATES = (("completed", 50), ("overdue", 20), ("no-show", 10), ("cancelled", 10))
HISTORY_STATES += (("declined", 5), ("scheduled", 5))
HISTORY_FOLLOW_UP_CHANCE = 0.5  # a discharge followed by an office visit within three weeks


def panel_patient_ids(count: int) -> list[str]:
    """The patient ids of a panel of `count` referrals."""
    patients = -(-count // REFERRALS_PER_PATIENT)
    return [f"{PANEL_PREFIX}-{number:05d}" for number in range(1, patients + 1)]


def referral_panel(
    count: int,
    *,
    seed: int = catalog.DEFAULT_SEED,
    anchor: date | None = None,
    history_years: int = 0,
    history_per_patient: int = HISTORY_PER_PATIENT,
) -> list[dict]:
    """`count` referrals and everything that followed them, on patients of their own; with `history_years`,
    `history_per_patient` older referrals and discharges per patient as well. Deterministic."""
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
        if history_years > 0:
            out += patient_history(chart, seed=seed, years=history_years, items=history_per_patient)
    return out


def patient_history(chart: Chart, *, seed: int, years: int, items: int) -> list[dict]:
    """`items` referrals and discharges of one patient, each on a day drawn evenly from the `years` years
    before the anchor: most of them older than any tracking horizon, a few recent."""
    rng = seeded(seed, f"{chart.patient_id}:history")
    states, weights = zip(*HISTORY_STATES, strict=True)
    out: list[dict] = []
    for item in range(items):
        # The same builders, on a clock moved back: each item's dates keep their shape, years earlier.
        moved = Clock(chart.clock.anchor - timedelta(days=rng.randrange(years * 365)))
        past = replace(chart, rng=rng, clock=moved)  # shares the id counters: ids stay unique
        if item % 2 == 0:
            state = rng.choices(states, weights)[0]
            out += referral(past, state, rng.choice(REFERRAL_SPECIALTIES), consult_note=False)
        else:
            out += _discharge(past, rng)
    return out


def _discharge(chart: Chart, rng) -> list[dict]:
    discharged = -rng.randint(25, 60)  # its follow-up visit, if any, is in the past too
    out = admission(chart, discharged - rng.randint(1, 6), discharged)
    if rng.random() < HISTORY_FOLLOW_UP_CHANCE:
        day = discharged + rng.randint(3, 20)
        out.append(encounter(chart, chart.next_id("enc"), "AMB", day, practitioner=chart.pcp_id))
    return out


def panel_changes(resources: list[dict], fraction: float) -> list[dict]:
    """Every `1/fraction`-th Task of `resources` with a new business status (the same ones every time)."""
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    step = max(1, round(1 / fraction)) if fraction > 0 else len(tasks) + 1
    return [{**task, "businessStatus": {"text": CHANGED_BUSINESS_STATUS}} for task in tasks[::step]]
