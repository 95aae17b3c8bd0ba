"""The population benchmark's sandbox data: N referrals with their evidence over a panel of patients, and
the Groups the bulk export and the per-patient sync read. Needs Django set up against the sandbox database.

Each patient gets N / patients referrals (the six follow-up situations in turn: Tasks, Appointments,
consult Encounters, the consult note of each completed one), and every DISCHARGE_EVERY-th patient a
recent stay in hospital with its discharge summary, half of them followed by an office visit. Built by the
sandbox's own synthetic builders (smartapp/sandbox/synthetic/), written with bulk_create (the loader) a
slice of patients at a time, so memory stays flat whatever N. Deterministic for N, the panel size and the
anchor day.
"""

from collections import Counter
from datetime import date

CHUNK_PATIENTS = 1000  # patients generated and written per transaction
DISCHARGE_EVERY = 4  # every 4th patient had a recent hospital stay
PATIENT_PREFIX = "pop"
GROUP_ALL = "bench-population"  # every patient of the panel
GROUP_TENTH = "bench-population-tenth"  # the first tenth of them: the bulk way's memory at N/10


def patient_ids(patients: int) -> list[str]:
    return [f"{PATIENT_PREFIX}-{number:06d}" for number in range(1, patients + 1)]


def seed_population(referrals: int, *, patients: int, anchor: date) -> dict[str, int]:
    """Write the panel and its two Groups into the sandbox store; resources written per type."""
    from django.db import transaction

    from smartapp.sandbox.synthetic.loader import load

    ids = patient_ids(patients)
    counts: Counter = Counter()
    for start in range(0, patients, CHUNK_PATIENTS):
        resources = _chunk(ids, start, referrals=referrals, anchor=anchor)
        with transaction.atomic():
            counts.update(load(resources))
    groups = [group(GROUP_ALL, ids), group(GROUP_TENTH, ids[: max(1, patients // 10)])]
    with transaction.atomic():
        counts.update(load(groups))
    return dict(sorted(counts.items()))


def referrals_of(number: int, *, referrals: int, patients: int) -> int:
    """How many referrals patient `number` (0-based) has: N spread evenly, the first ones one more."""
    return referrals // patients + (1 if number < referrals % patients else 0)


def group(group_id: str, ids: list[str]) -> dict:
    """A person Group of actual patients (FHIR R4 Group; Bulk Data exports Group/<id>/$export)."""
    return {
        "resourceType": "Group",
        "id": group_id,
        "type": "person",
        "actual": True,
        "quantity": len(ids),
        "member": [{"entity": {"reference": f"Patient/{patient_id}"}} for patient_id in ids],
    }


def _chunk(ids: list[str], start: int, *, referrals: int, anchor: date) -> list[dict]:
    from smartapp.sandbox.synthetic import catalog
    from smartapp.sandbox.synthetic.chart import Chart, seeded
    from smartapp.sandbox.synthetic.elements import Clock
    from smartapp.sandbox.synthetic.people import patient
    from smartapp.sandbox.synthetic.referrals import referral
    from smartapp.sandbox.synthetic.terminology import REFERRAL_SPECIALTIES

    clock, out = Clock(anchor), []
    made = sum(referrals_of(n, referrals=referrals, patients=len(ids)) for n in range(start))
    for number in range(start, min(start + CHUNK_PATIENTS, len(ids))):
        patient_id = ids[number]
        rng = seeded(catalog.DEFAULT_SEED, patient_id)
        pcp_id = catalog.PRIMARY_CARE_IDS[number % len(catalog.PRIMARY_CARE_IDS)]
        chart = Chart(patient_id, rng, clock, pcp_id)
        out.append(patient(patient_id, rng, clock, pcp_id))
        for _ in range(referrals_of(number, referrals=referrals, patients=len(ids))):
            state = catalog.FOLLOW_UP_STATES[made % len(catalog.FOLLOW_UP_STATES)]
            specialty = REFERRAL_SPECIALTIES[made % len(REFERRAL_SPECIALTIES)]
            out += referral(chart, state, specialty, consult_note=made % 3 == 0)
            made += 1
        if number % DISCHARGE_EVERY == 0:
            out += _discharge(chart)
    return out


def _discharge(chart) -> list[dict]:
    """A stay that ended 3-40 days ago, and half the time the office visit that followed it."""
    from smartapp.sandbox.synthetic.encounters import admission, encounter

    rng = chart.rng
    discharged = -rng.randint(3, 40)
    out = admission(chart, discharged - rng.randint(1, 6), discharged)
    if rng.random() < 0.5:
        out.append(encounter(chart, chart.next_id("enc"), "AMB", discharged + 2, practitioner=chart.pcp_id))
    return out
