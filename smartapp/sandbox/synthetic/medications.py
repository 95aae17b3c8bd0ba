"""Medication, MedicationRequest and patient-reported MedicationStatement resources."""

from . import catalog
from .chart import Chart
from .elements import concept, ref, resource
from .terminology import (
    DRUG_FORM,
    DRUGS,
    MED_REQUEST_CATEGORY,
    MED_STATEMENT_CATEGORY,
    ORAL_ROUTE,
    RXNORM,
    SNOMED,
    TABLET,
    Drug,
)

FREQUENCY_TEXT = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}
# Who usually prescribes what, when it is not the primary care physician.
PRESCRIBING_SPECIALTY = {
    "amlodipine": "cardiology",
    "metoprolol": "cardiology",
    "carvedilol": "cardiology",
    "warfarin": "cardiology",
    "clopidogrel": "cardiology",
    "digoxin": "cardiology",
    "metformin": "endocrinology",
    "albuterol": "pulmonology",
    "ferrous-sulfate": "gastroenterology",
}
ROUTINE_STATUSES = ("active",) * 11 + ("stopped",) * 3 + ("completed",) * 3 + ("on-hold",) * 2
STATUS_REASONS = {
    "stopped": "Stopped: side effects reported",
    "on-hold": "On hold until after the planned procedure",
}


def medication_catalog() -> list[dict]:
    """One Medication resource per drug in the formulary (Medications belong to no patient)."""
    return [
        resource(
            "Medication",
            catalog.medication_id(drug.code),
            code=concept(RXNORM, drug.code, drug.display),
            status="active",
            form=concept(DRUG_FORM, *drug.form),
        )
        for drug in DRUGS.values()
    ]


def medications_for(chart: Chart) -> list[dict]:
    """The patient's MedicationRequests and MedicationStatements."""
    if chart.patient_id == catalog.MEDICATION_SCENARIO_PATIENT_ID:
        return _scenario(chart)
    count = (
        catalog.LARGE_PATIENT_MEDICATION_REQUESTS if chart.patient_id == catalog.LARGE_PATIENT_ID else None
    )
    return _routine(chart, count or chart.rng.randint(2, 6))


def medication_request(chart: Chart, drug_key: str, status: str, offset: int, **options) -> dict:
    """A MedicationRequest for DRUGS[drug_key] authored `offset` days from the anchor.

    Options: requester (a Practitioner id; default the PCP), by_reference (medicationReference instead of
    medicationCodeableConcept), dose (units per administration), reason (statusReason text).
    """
    drug = DRUGS[drug_key]
    reason = options.get("reason") or STATUS_REASONS.get(status)
    body = resource("MedicationRequest", chart.next_id("mr"), status=status)
    if reason:
        body["statusReason"] = {"text": reason}
    body.update(
        intent="order",
        category=[concept(MED_REQUEST_CATEGORY, "outpatient", "Outpatient")],
        **_medication(drug, options.get("by_reference", False)),
        subject=chart.subject,
        authoredOn=chart.clock.instant(offset, hour=10),
        requester=ref("Practitioner", options.get("requester") or chart.pcp_id),
        dosageInstruction=[_dosage(drug, options.get("dose", drug.dose))],
    )
    return body


def patient_statement(chart: Chart, drug_key: str, offset: int, dose: int) -> dict:
    """A MedicationStatement the patient reported themselves (informationSource = the Patient)."""
    drug = DRUGS[drug_key]
    return resource(
        "MedicationStatement",
        chart.next_id("ms"),
        status="active",
        category=concept(MED_STATEMENT_CATEGORY, "patientspecified", "Patient Specified"),
        **_medication(drug, by_reference=False),
        subject=chart.subject,
        effectiveDateTime=chart.clock.instant(offset, hour=11),
        dateAsserted=chart.clock.instant(offset, hour=11),
        informationSource=chart.subject,
        dosage=[_dosage(drug, dose)],
        note=[{"text": "Reported by the patient at check-in."}],
    )


def _scenario(chart: Chart) -> list[dict]:
    cardiologist = catalog.SPECIALIST_IDS["cardiology"]
    return [
        # The same drug from two requesters, in both medication[x] forms ...
        medication_request(chart, "lisinopril", "active", -400),
        medication_request(chart, "lisinopril", "active", -120, requester=cardiologist, by_reference=True),
        # ... and as the patient says they take it: a different dose (2 tablets, 20 mg).
        patient_statement(chart, "lisinopril", -30, dose=2),
        patient_statement(chart, "acetaminophen", -30, dose=2),
        medication_request(chart, "amlodipine", "active", -120, requester=cardiologist, by_reference=True),
        medication_request(chart, "metformin", "on-hold", -700, reason="Held before contrast imaging"),
        medication_request(chart, "atorvastatin", "stopped", -365, reason="Stopped: muscle aches"),
        medication_request(chart, "simvastatin", "stopped", -900, reason="Switched to atorvastatin"),
        medication_request(chart, "ibuprofen", "completed", -60, by_reference=True),
        medication_request(chart, "cetirizine", "completed", -200),
    ]


def _routine(chart: Chart, count: int) -> list[dict]:
    rng = chart.rng
    keys = sorted(DRUGS)
    out = []
    for _ in range(count):
        key = rng.choice(keys)
        specialty = PRESCRIBING_SPECIALTY.get(key)
        requester = catalog.SPECIALIST_IDS[specialty] if specialty and rng.random() < 0.5 else chart.pcp_id
        offset = -rng.randint(1, min(4000, 60 + 8 * count))
        status = rng.choice(ROUTINE_STATUSES)
        out.append(
            medication_request(
                chart, key, status, offset, requester=requester, by_reference=rng.random() < 0.3
            )
        )
    if rng.random() < 0.25:
        out.append(patient_statement(chart, rng.choice(keys), -rng.randint(1, 90), dose=1))
    return out


def _medication(drug: Drug, by_reference: bool) -> dict:
    if by_reference:
        return {"medicationReference": ref("Medication", catalog.medication_id(drug.code), drug.display)}
    return {"medicationCodeableConcept": concept(RXNORM, drug.code, drug.display)}


def _dosage(drug: Drug, dose: int) -> dict:
    form_code, form_display = drug.form
    unit = form_display.lower() + ("s" if dose > 1 else "")
    verb = "Take" if drug.form == TABLET else "Inhale"
    dosage = {
        "text": f"{verb} {dose} {unit} {FREQUENCY_TEXT[drug.frequency]}",
        "timing": {"repeat": {"frequency": drug.frequency, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [
            {"doseQuantity": {"value": dose, "unit": unit, "system": DRUG_FORM, "code": form_code}}
        ],
    }
    if drug.form == TABLET:
        dosage["route"] = concept(SNOMED, *ORAL_ROUTE)
    return dosage
