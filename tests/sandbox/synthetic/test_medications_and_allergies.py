from smartapp.sandbox.synthetic import catalog

from .conftest import of_patient

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _drug_code(body, by_key):
    if "medicationCodeableConcept" in body:
        coding = body["medicationCodeableConcept"]["coding"][0]
    else:
        coding = by_key[body["medicationReference"]["reference"]]["code"]["coding"][0]
    assert coding["system"] == RXNORM
    return coding["code"]


def test_medication_requests_cover_active_stopped_on_hold_and_completed(by_type):
    mine = of_patient(by_type["MedicationRequest"], catalog.MEDICATION_SCENARIO_PATIENT_ID)
    assert {"active", "stopped", "on-hold", "completed"} <= {m["status"] for m in mine}
    assert all(m["statusReason"]["text"] for m in mine if m["status"] in ("stopped", "on-hold"))


def test_both_medication_forms_are_used_and_referenced_medications_have_no_patient(by_type):
    mine = of_patient(by_type["MedicationRequest"], catalog.MEDICATION_SCENARIO_PATIENT_ID)
    assert any("medicationReference" in m for m in mine)
    assert any("medicationCodeableConcept" in m for m in mine)
    assert all("subject" not in med and "patient" not in med for med in by_type["Medication"])


def test_real_rxnorm_codes_are_used(by_type):
    codes = {m["code"]["coding"][0]["code"]: m["code"]["coding"][0]["display"] for m in by_type["Medication"]}
    assert codes["197361"] == "amlodipine 5 MG Oral Tablet"
    assert codes["314076"] == "lisinopril 10 MG Oral Tablet"
    assert {"860975", "617312"} <= codes.keys()


def test_one_drug_is_recorded_by_two_requesters_and_reported_by_the_patient_at_another_dose(by_type, by_key):
    patient_id = catalog.MEDICATION_SCENARIO_PATIENT_ID
    requests = [
        m for m in of_patient(by_type["MedicationRequest"], patient_id) if _drug_code(m, by_key) == "314076"
    ]
    assert len({m["requester"]["reference"] for m in requests}) == 2
    statements = [
        s for s in of_patient(by_type["MedicationStatement"], patient_id) if _drug_code(s, by_key) == "314076"
    ]
    assert statements
    prescribed = {m["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] for m in requests}
    reported = statements[0]["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"]
    assert reported not in prescribed


def test_patient_reported_statements_name_the_patient_as_source(by_type):
    statements = of_patient(by_type["MedicationStatement"], catalog.MEDICATION_SCENARIO_PATIENT_ID)
    assert statements
    assert all(s["informationSource"] == s["subject"] for s in statements)


def test_allergies_have_high_and_low_criticality_with_reactions(by_type):
    mine = of_patient(by_type["AllergyIntolerance"], catalog.ALLERGY_SCENARIO_PATIENT_ID)
    high = [a for a in mine if a.get("criticality") == "high"]
    assert high and high[0]["reaction"][0]["severity"] == "severe"
    assert high[0]["code"]["coding"][0] == {"system": RXNORM, "code": "7980", "display": "penicillin G"}
    low = [a for a in mine if a.get("criticality") == "low" and a.get("reaction")]
    assert (
        low and low[0]["reaction"][0]["manifestation"][0]["coding"][0]["system"] == "http://snomed.info/sct"
    )


def test_refuted_and_entered_in_error_allergies_exist_and_follow_the_invariants(by_type):
    mine = of_patient(by_type["AllergyIntolerance"], catalog.ALLERGY_SCENARIO_PATIENT_ID)
    verification = {a["verificationStatus"]["coding"][0]["code"]: a for a in mine}
    assert {"confirmed", "refuted", "entered-in-error"} <= verification.keys()
    assert "clinicalStatus" not in verification["entered-in-error"]  # ait-2
    assert all(
        "clinicalStatus" in a for code, a in verification.items() if code != "entered-in-error"
    )  # ait-1


def test_no_known_allergies_differs_from_no_allergy_data(by_type):
    allergies = by_type["AllergyIntolerance"]
    nka = of_patient(allergies, catalog.NO_KNOWN_ALLERGIES_PATIENT_ID)
    assert [a["code"]["coding"][0]["code"] for a in nka] == ["716186003"]
    assert of_patient(allergies, catalog.NO_ALLERGY_DATA_PATIENT_ID) == []


def test_allergy_substances_include_drugs_foods_and_environment(by_type):
    categories = {c for a in by_type["AllergyIntolerance"] for c in a.get("category", [])}
    assert {"medication", "food", "environment"} <= categories
    codes = {a["code"]["coding"][0]["code"] for a in by_type["AllergyIntolerance"]}
    assert {"7980", "111088007", "91935009"} <= codes
