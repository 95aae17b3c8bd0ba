"""Code systems and the real codes the synthetic records use (RxNorm, SNOMED CT, LOINC, NUCC)."""

from dataclasses import dataclass

ORAL_ROUTE = ("26643006", "Oral route")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NUCC = "http://nucc.org/provider-taxonomy"
NPI = "http://hl7.org/fhir/sid/us-npi"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
APPOINTMENT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
MED_REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
MED_STATEMENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-statement-category"
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
NOTE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
MRN_SYSTEM = "https://sandbox.smartapp.example/fhir/mrn"
VISIT_SYSTEM = "https://sandbox.smartapp.example/fhir/visit"

PATIENT_REFERRAL = ("3457005", "Patient referral")
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")


@dataclass(frozen=True)
class Drug:
    """An RxNorm clinical drug (SCD) and the usual way it is taken."""

    code: str
    display: str
    dose: int  # units of `form` per administration
    form: tuple[str, str]  # v3-orderableDrugForm code and display
    frequency: int  # administrations per day


TABLET = ("TAB", "Tablet")
INHALANT = ("INHL", "Inhalant")

DRUGS = {
    "amlodipine": Drug("197361", "amlodipine 5 MG Oral Tablet", 1, TABLET, 1),
    "amlodipine-low": Drug("308136", "amlodipine 2.5 MG Oral Tablet", 1, TABLET, 1),
    "metformin": Drug(
        "860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", 1, TABLET, 1
    ),
    "lisinopril": Drug("314076", "lisinopril 10 MG Oral Tablet", 1, TABLET, 1),
    "lisinopril-20": Drug("314077", "lisinopril 20 MG Oral Tablet", 1, TABLET, 1),
    "atorvastatin": Drug("617312", "atorvastatin 40 MG Oral Tablet", 1, TABLET, 1),
    "atorvastatin-80": Drug("259255", "atorvastatin 80 MG Oral Tablet", 1, TABLET, 1),
    "simvastatin": Drug("312961", "simvastatin 20 MG Oral Tablet", 1, TABLET, 1),
    "hydrochlorothiazide": Drug("310798", "hydrochlorothiazide 25 MG Oral Tablet", 1, TABLET, 1),
    "metoprolol": Drug(
        "866414", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", 1, TABLET, 1
    ),
    "carvedilol": Drug("200031", "carvedilol 6.25 MG Oral Tablet", 1, TABLET, 2),
    "warfarin": Drug("855332", "warfarin sodium 5 MG Oral Tablet", 1, TABLET, 1),
    "clopidogrel": Drug("309362", "clopidogrel 75 MG Oral Tablet", 1, TABLET, 1),
    "digoxin": Drug("197604", "digoxin 0.125 MG Oral Tablet", 1, TABLET, 1),
    "aspirin": Drug("243670", "aspirin 81 MG Oral Tablet", 1, TABLET, 1),
    "acetaminophen": Drug("313782", "acetaminophen 325 MG Oral Tablet", 2, TABLET, 3),
    "ibuprofen": Drug("310965", "ibuprofen 200 MG Oral Tablet", 2, TABLET, 3),
    "cetirizine": Drug("1014676", "cetirizine hydrochloride 5 MG Oral Tablet", 1, TABLET, 1),
    "ferrous-sulfate": Drug("310325", "ferrous sulfate 325 MG Oral Tablet", 1, TABLET, 1),
    "albuterol": Drug("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", 2, INHALANT, 4),
}


@dataclass(frozen=True)
class Substance:
    """What a patient may react to: (system, code, display) and its AllergyIntolerance category."""

    system: str
    code: str
    display: str
    category: str  # food | medication | environment | biologic


ALLERGENS = {
    "penicillin": Substance(RXNORM, "7980", "penicillin G", "medication"),
    "aspirin": Substance(RXNORM, "1191", "aspirin", "medication"),
    "ibuprofen": Substance(RXNORM, "5640", "ibuprofen", "medication"),
    "sulfa": Substance(RXNORM, "10831", "sulfamethoxazole / trimethoprim", "medication"),
    "cephalexin": Substance(RXNORM, "2231", "cephalexin", "medication"),
    "peanut": Substance(SNOMED, "91935009", "Allergy to peanuts", "food"),
    "tree-nut": Substance(SNOMED, "442571000124108", "Tree nut (substance)", "food"),
    "fish": Substance(SNOMED, "735971005", "Fish (substance)", "food"),
    "latex": Substance(SNOMED, "111088007", "Latex (substance)", "environment"),
    "grass-pollen": Substance(SNOMED, "256277009", "Grass pollen (substance)", "environment"),
    "dust-mite": Substance(SNOMED, "260147004", "House dust mite (organism)", "environment"),
    "dander": Substance(SNOMED, "264287008", "Animal dander (substance)", "environment"),
}

# Reaction manifestations (SNOMED CT clinical findings).
REACTIONS = {
    "anaphylaxis": ("39579001", "Anaphylaxis (disorder)"),
    "angioedema": ("402387002", "Allergic angioedema (disorder)"),
    "wheal": ("247472004", "Wheal (finding)"),
    "rash": ("271807003", "Eruption of skin (disorder)"),
    "itching": ("418290006", "Itching (finding)"),
    "dyspnea": ("267036007", "Dyspnea (finding)"),
    "cough": ("49727002", "Cough (finding)"),
    "rhinoconjunctivitis": ("878820003", "Rhinoconjunctivitis (disorder)"),
    "abdominal-pain": ("21522001", "Abdominal pain (finding)"),
}

# LOINC document types for clinical notes.
NOTE_TYPES = {
    "consult": ("11488-4", "Consult note"),
    "discharge": ("18842-5", "Discharge summary"),
    "progress": ("11506-3", "Progress note"),
    "history": ("34117-2", "History and physical note"),
}


@dataclass(frozen=True)
class Specialty:
    """A specialty: SNOMED practice setting, NUCC taxonomy and, for specialists, the referral code."""

    key: str
    name: str
    practice_setting: tuple[str, str]
    taxonomy: tuple[str, str]
    referral: tuple[str, str] | None = None


SPECIALTIES = {
    s.key: s
    for s in (
        Specialty(
            "general-practice",
            "General practice",
            ("394814009", "General practice"),
            ("208D00000X", "General Practice"),
        ),
        Specialty(
            "internal-medicine",
            "Internal medicine",
            ("419192003", "Internal medicine"),
            ("207R00000X", "Internal Medicine"),
        ),
        Specialty(
            "cardiology",
            "Cardiology",
            ("394579002", "Cardiology"),
            ("207RC0000X", "Cardiovascular Disease"),
            ("183519002", "Referral to cardiology service"),
        ),
        Specialty(
            "endocrinology",
            "Endocrinology",
            ("394583002", "Endocrinology"),
            ("207RE0101X", "Endocrinology, Diabetes & Metabolism"),
            ("306118006", "Referral to endocrinology service"),
        ),
        Specialty(
            "nephrology",
            "Nephrology",
            ("394589003", "Nephrology"),
            ("207RN0300X", "Nephrology"),
            ("306125004", "Referral to nephrology service"),
        ),
        Specialty(
            "pulmonology",
            "Pulmonology",
            ("418112009", "Pulmonary medicine"),
            ("207RP1001X", "Pulmonary Disease"),
            ("306275005", "Referral to respiratory physician"),
        ),
        Specialty(
            "gastroenterology",
            "Gastroenterology",
            ("394584008", "Gastroenterology"),
            ("207RG0100X", "Gastroenterology"),
            ("183523005", "Referral to gastroenterology service"),
        ),
        Specialty(
            "hospital-medicine",
            "Hospital medicine",
            ("394802001", "General medicine"),
            ("208M00000X", "Hospitalist"),
        ),
        Specialty(
            "emergency-medicine",
            "Emergency medicine",
            ("773568002", "Emergency medicine"),
            ("207P00000X", "Emergency Medicine"),
        ),
        Specialty(
            "care-coordination",
            "Care coordination",
            ("394814009", "General practice"),
            ("171M00000X", "Case Manager/Care Coordinator"),
        ),
    )
}
REFERRAL_SPECIALTIES = tuple(key for key, s in SPECIALTIES.items() if s.referral)

# Encounter.type codes (SNOMED CT procedures).
ENCOUNTER_TYPES = {
    "IMP": ("32485007", "Hospital admission (procedure)"),
    "EMER": ("50849002", "Emergency room admission (procedure)"),
    "AMB": ("185349003", "Encounter for check up (procedure)"),
    "consult": ("11429006", "Consultation (procedure)"),
}
ENCOUNTER_CLASSES = {"IMP": "inpatient encounter", "EMER": "emergency", "AMB": "ambulatory"}
