"""AllergyIntolerance resources: real allergy substances, criticalities, reactions, verification states."""

from . import catalog
from .chart import Chart
from .elements import concept, ref, resource
from .terminology import (
    ALLERGENS,
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    NO_KNOWN_ALLERGY,
    REACTIONS,
    SNOMED,
)

SEVERITY_FOR = {"high": "severe", "low": "mild", "unable-to-assess": "moderate"}


def allergies_for(chart: Chart) -> list[dict]:
    """The patient's allergy list: scenario entries for the catalog's patients, one or two otherwise."""
    if chart.patient_id == catalog.NO_ALLERGY_DATA_PATIENT_ID:
        return []
    if chart.patient_id == catalog.NO_KNOWN_ALLERGIES_PATIENT_ID:
        return [no_known_allergies(chart)]
    if chart.patient_id == catalog.ALLERGY_SCENARIO_PATIENT_ID:
        return _scenario(chart)
    return _routine(chart)


def allergy(chart: Chart, substance_key: str, verification: str = "confirmed", **options) -> dict:
    """An AllergyIntolerance to ALLERGENS[substance_key].

    Options: criticality (low | high | unable-to-assess, default low), reactions (keys of REACTIONS),
    offset (days from the anchor it was recorded, default -200), note (text).
    """
    substance = ALLERGENS[substance_key]
    criticality = options.get("criticality", "low")
    body = resource("AllergyIntolerance", chart.next_id("ai"))
    # ait-1/ait-2: clinicalStatus is required, except on entered-in-error entries where it is forbidden.
    if verification != "entered-in-error":
        clinical = "inactive" if verification == "refuted" else "active"
        body["clinicalStatus"] = concept(ALLERGY_CLINICAL, clinical, clinical.capitalize())
    body.update(
        verificationStatus=concept(ALLERGY_VERIFICATION, verification, _display(verification)),
        type="allergy",
        category=[substance.category],
        criticality=criticality,
        code=concept(substance.system, substance.code, substance.display),
        patient=chart.subject,
        recordedDate=chart.clock.instant(options.get("offset", -200), hour=14),
        recorder=ref("Practitioner", chart.pcp_id),
    )
    if reactions := options.get("reactions"):
        body["reaction"] = [_reaction(key, SEVERITY_FOR[criticality]) for key in reactions]
    if note := options.get("note"):
        body["note"] = [{"text": note}]
    return body


def no_known_allergies(chart: Chart) -> dict:
    """The positive statement "no known allergy" (SNOMED 716186003), unlike a chart with no allergy data."""
    code, display = NO_KNOWN_ALLERGY
    return resource(
        "AllergyIntolerance",
        chart.next_id("ai"),
        clinicalStatus=concept(ALLERGY_CLINICAL, "active", "Active"),
        verificationStatus=concept(ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
        code=concept(SNOMED, code, display),
        patient=chart.subject,
        recordedDate=chart.clock.instant(-90, hour=14),
        recorder=ref("Practitioner", chart.pcp_id),
    )


def _scenario(chart: Chart) -> list[dict]:
    return [
        allergy(
            chart, "penicillin", criticality="high", reactions=["anaphylaxis", "angioedema"], offset=-3000
        ),
        allergy(chart, "latex", criticality="low", reactions=["itching"], offset=-1500),
        allergy(
            chart, "sulfa", "unconfirmed", criticality="unable-to-assess", reactions=["rash"], offset=-400
        ),
        allergy(chart, "peanut", "refuted", reactions=["wheal"], note="Oral food challenge negative."),
        allergy(chart, "ibuprofen", "entered-in-error", note="Recorded on the wrong chart."),
    ]


def _routine(chart: Chart) -> list[dict]:
    rng = chart.rng
    out = []
    for key in rng.sample(sorted(ALLERGENS), rng.randint(1, 2)):
        criticality = rng.choice(("low", "low", "high"))
        reactions = rng.sample(sorted(REACTIONS), rng.randint(1, 2))
        out.append(
            allergy(chart, key, criticality=criticality, reactions=reactions, offset=-rng.randint(30, 5000))
        )
    return out


def _reaction(key: str, severity: str) -> dict:
    code, display = REACTIONS[key]
    return {"manifestation": [concept(SNOMED, code, display)], "severity": severity}


def _display(verification: str) -> str:
    return {"entered-in-error": "Entered in Error"}.get(verification, verification.capitalize())
