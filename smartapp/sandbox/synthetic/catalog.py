"""Stable ids of the synthetic records, so that tests and the simulator can find each scenario.

The structure below does not depend on the seed: the seed changes names, dates and routine details only.
"""

DEFAULT_SEED = 1
PATIENT_COUNT = 28
PATIENT_IDS = tuple(f"pat-{n:03d}" for n in range(1, PATIENT_COUNT + 1))

# A typical chart: a bit of everything, handy as the simulator's default patient.
TYPICAL_PATIENT_ID = "pat-001"
# Medication statuses, both medication[x] forms, one drug from two requesters, patient-reported statements.
MEDICATION_SCENARIO_PATIENT_ID = "pat-002"
# High and low criticality, reactions, refuted and entered-in-error allergies.
ALLERGY_SCENARIO_PATIENT_ID = "pat-003"
NO_KNOWN_ALLERGIES_PATIENT_ID = "pat-004"
NO_ALLERGY_DATA_PATIENT_ID = "pat-005"
# One specialist note of each kind: text/plain, text/html (benign and hostile), PDF, inline data.
NOTES_SCENARIO_PATIENT_ID = "pat-006"
INPATIENT_PATIENT_ID = "pat-007"
EMERGENCY_PATIENT_ID = "pat-008"
# One referral in each follow-up situation (see FOLLOW_UP_REFERRAL_IDS).
REFERRAL_PATIENT_ID = "pat-009"
LARGE_PATIENT_ID = "pat-027"
UNICODE_PATIENT_ID = "pat-028"

LARGE_PATIENT_MEDICATION_REQUESTS = 520
LARGE_PATIENT_NOTES = 210

FOLLOW_UP_STATES = ("completed", "scheduled", "no-show", "overdue", "declined", "cancelled")
FOLLOW_UP_REFERRAL_IDS = {state: f"sr-{REFERRAL_PATIENT_ID}-{state}" for state in FOLLOW_UP_STATES}

NOTE_IDS = {
    kind: f"doc-{NOTES_SCENARIO_PATIENT_ID}-{kind}"
    for kind in ("plain-text", "html", "hostile-html", "pdf", "inline", "inline-html")
}
HOSTILE_HTML_NOTE_ID = NOTE_IDS["hostile-html"]
PDF_NOTE_ID = NOTE_IDS["pdf"]
INLINE_NOTE_ID = NOTE_IDS["inline"]
INPATIENT_ENCOUNTER_ID = f"enc-{INPATIENT_PATIENT_ID}-admission"
EMERGENCY_ENCOUNTER_ID = f"enc-{EMERGENCY_PATIENT_ID}-emergency"

# Practitioner id -> specialty key (see terminology.SPECIALTIES).
PRACTITIONER_SPECIALTIES = {
    "pr-001": "general-practice",
    "pr-002": "internal-medicine",
    "pr-003": "cardiology",
    "pr-004": "endocrinology",
    "pr-005": "nephrology",
    "pr-006": "pulmonology",
    "pr-007": "gastroenterology",
    "pr-008": "hospital-medicine",
    "pr-009": "emergency-medicine",
}
PRACTITIONER_IDS = tuple(PRACTITIONER_SPECIALTIES)
PRIMARY_CARE_IDS = ("pr-001", "pr-002")
SPECIALIST_IDS = {specialty: pr for pr, specialty in PRACTITIONER_SPECIALTIES.items()}
HOSPITALIST_ID = "pr-008"
EMERGENCY_PHYSICIAN_ID = "pr-009"
COORDINATOR_ID = "pr-010"
ORGANIZATION_IDS = {"hospital": "org-hospital", "clinics": "org-clinics"}


def role_id(practitioner_id: str) -> str:
    """The id of a practitioner's PractitionerRole."""
    return f"role-{practitioner_id}"


def medication_id(rxnorm_code: str) -> str:
    """The id of the Medication resource for an RxNorm code."""
    return f"med-{rxnorm_code}"


def username(fhir_id: str) -> str:
    """The sandbox user name of a Practitioner or Patient, e.g. sandbox-pr-001, sandbox-pat-001."""
    return f"sandbox-{fhir_id}"
