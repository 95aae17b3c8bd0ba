"""What the sandbox FHIR API serves: its resource types and, per type, the search parameters it knows."""

# Search parameter kinds; smartapp.sandbox.fhir.search turns each kind into a filter on one column.
REFERENCE_PATIENT = "patient"  # the patient_id column
TOKEN_STATUS = "status"  # the status column, exact codes
TOKEN_COLUMN = "token"  # a " code system|code " column
DATE = "date"  # a datetime column, with FHIR prefixes
REFERENCE_LIST = "reference-list"  # a " Type/id " column
IDS = "ids"  # the fhir_id column

# Types outside the Patient compartment: a patient-level scope for them is not limited to one patient.
COMPARTMENTLESS = frozenset({"Practitioner", "PractitionerRole", "Organization", "Medication", "Group"})
# Types that can be read but not searched.
READ_ONLY = frozenset({"Binary"})

# parameter name -> (kind, column)
_COMMON = {"_id": (IDS, "fhir_id"), "_lastUpdated": (DATE, "last_updated")}
_PATIENT = {"patient": (REFERENCE_PATIENT, "patient_id"), "subject": (REFERENCE_PATIENT, "patient_id")}
_STATUS = {"status": (TOKEN_STATUS, "status")}
_CATEGORY = {"category": (TOKEN_COLUMN, "category")}
_TYPE = {"type": (TOKEN_COLUMN, "type")}
_DATE = {"date": (DATE, "date")}
_BASED_ON = {"based-on": (REFERENCE_LIST, "based_on")}
# Business identifiers: an MRN (the ADT feed's PID-3) or a visit number (PV1-19), exact token match.
_IDENTIFIER = {"identifier": (TOKEN_COLUMN, "identifier")}

SEARCH_PARAMS: dict[str, dict[str, tuple[str, str]]] = {
    "Patient": {**_COMMON, **_IDENTIFIER},
    "Practitioner": {**_COMMON},
    "PractitionerRole": {**_COMMON},
    "Organization": {**_COMMON},
    "Medication": {**_COMMON},
    "Group": {**_COMMON},  # patient panels, for Bulk Data `$export` (smartapp/sandbox/bulk/)
    "Binary": {},
    "MedicationRequest": {**_COMMON, **_PATIENT, **_STATUS, **_CATEGORY, **_DATE, **_BASED_ON},
    "MedicationStatement": {**_COMMON, **_PATIENT, **_STATUS, **_CATEGORY, **_DATE},
    "AllergyIntolerance": {**_COMMON, **_PATIENT, **_CATEGORY, **_DATE},
    "DocumentReference": {**_COMMON, **_PATIENT, **_STATUS, **_CATEGORY, **_TYPE, **_DATE},
    "ServiceRequest": {**_COMMON, **_PATIENT, **_STATUS, **_CATEGORY, **_DATE, **_BASED_ON},
    "Task": {**_COMMON, **_PATIENT, **_STATUS, **_DATE, **_BASED_ON},
    "Appointment": {**_COMMON, **_PATIENT, **_STATUS, **_DATE, **_BASED_ON},
    "Encounter": {**_COMMON, **_PATIENT, **_STATUS, **_TYPE, **_DATE, **_BASED_ON, **_IDENTIFIER},
}
SUPPORTED_TYPES = tuple(SEARCH_PARAMS)

# Who acts: the targets of MedicationRequest.requester and AllergyIntolerance.recorder/asserter that the
# chart names (https://hl7.org/fhir/R4/medicationrequest.html, https://hl7.org/fhir/R4/allergyintolerance.html).
_CLINICIANS = ("Practitioner", "PractitionerRole")

# _include values per type: "Type:param" -> ((the element holding the reference, a type it refers to), ...).
INCLUDES = {
    "MedicationRequest": {
        "MedicationRequest:medication": (("medicationReference", "Medication"),),
        "MedicationRequest:requester": tuple(
            ("requester", target) for target in (*_CLINICIANS, "Organization")
        ),
    },
    "AllergyIntolerance": {
        "AllergyIntolerance:recorder": tuple(("recorder", target) for target in _CLINICIANS),
        "AllergyIntolerance:asserter": tuple(("asserter", target) for target in (*_CLINICIANS, "Patient")),
    },
    "ServiceRequest": {
        "ServiceRequest:patient": (("subject", "Patient"),),
        # The referral's requester and performer, named on the worklist
        # (https://hl7.org/fhir/R4/servicerequest.html#search).
        "ServiceRequest:requester": tuple(("requester", target) for target in (*_CLINICIANS, "Organization")),
        "ServiceRequest:performer": tuple(("performer", target) for target in (*_CLINICIANS, "Organization")),
    },
    "Encounter": {"Encounter:patient": (("subject", "Patient"),)},
    "DocumentReference": {
        "DocumentReference:author": (
            ("author", "Practitioner"),
            ("author", "PractitionerRole"),
            ("author", "Organization"),
        )
    },
}

# Result parameters every search accepts besides the type's own parameters.
PAGE_TOKEN = "_page_token"
RESULT_PARAMS = frozenset({"_count", "_include", "_format", "_pretty", PAGE_TOKEN})

# FHIR search parameter types, for the CapabilityStatement.
FHIR_PARAM_TYPE = {
    REFERENCE_PATIENT: "reference",
    TOKEN_STATUS: "token",
    TOKEN_COLUMN: "token",
    DATE: "date",
    REFERENCE_LIST: "reference",
    IDS: "token",
}
