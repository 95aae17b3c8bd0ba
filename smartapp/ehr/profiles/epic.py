"""Epic on FHIR: searches scoped to a patient, population data through Bulk Data `$export` on a Group.

Its `fhirUser` is an absolute URL under the FHIR base, which the base profile reads. Backend Services need a
separate Epic "Backend Systems" app using private_key_jwt (RS384, the default assertion algorithm).
Epic publishes one page per API (fhir.epic.com/Specifications, signed-in); where this table could not be
checked against a public copy of that page, the rule says "assumption:"; clinical searches name the
patient, and people, medications and the export Group are read by id.
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

SPECS = "https://fhir.epic.com/Specifications"
BULK = "https://fhir.epic.com/Documentation?docId=fhir_bulk_data"
OAUTH = "https://fhir.epic.com/Documentation?docId=oauth2"
PATIENT_SCOPED = f"assumption: Epic's searches are scoped to a patient (issue 13; {SPECS})"
BY_ID = f"assumption: looked up by id only ({SPECS})"
# Patient.Search (R4) lists `identifier` ({IDType}|{ID} or system|value); the ADT feed matches PID-3 so.
PATIENT_SEARCH = f"{SPECS} (Patient.Search (R4): _id or identifier)"
_BY_PATIENT = "_id patient"
_BY_SUBJECT = "_id patient subject"


def _clinical(accepted: str, required: str = _BY_PATIENT):
    return search_rule(f"{required} {accepted}", required, source=PATIENT_SCOPED)


def _by_id():
    return search_rule("_id", "_id", source=BY_ID)


RULES = VendorRules(
    vendor="epic",
    search={
        "Patient": search_rule("_id identifier", "_id identifier", source=PATIENT_SEARCH),
        "Practitioner": _by_id(),
        "PractitionerRole": _by_id(),
        "Organization": _by_id(),
        "Medication": _by_id(),
        "Group": search_rule("_id", "_id", source=f"assumption: the bulk export Group, by id ({BULK})"),
        "MedicationRequest": _clinical("status category date"),
        "MedicationStatement": _clinical("status"),
        "AllergyIntolerance": _clinical(""),
        "DocumentReference": _clinical("category type date status", _BY_SUBJECT),
        "ServiceRequest": _clinical("status category", _BY_SUBJECT),
        "Task": _clinical("status"),
        "Appointment": _clinical("status date"),
        "Encounter": _clinical("status date type", _BY_SUBJECT),
    },
    max_count=1000,
    default_count=100,
    population="bulk_export",
    bulk_params=frozenset({"_type", "_since"}),
    sorts_by_last_updated=False,
    refresh_rotates=True,
    advertises_pkce=True,
    client_credentials=True,
    fhir_user_absolute=True,
    scope_grammar="v1",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={
        "search": PATIENT_SCOPED,
        "max_count": f"assumption: no public page gives Epic's page limit ({SPECS})",
        "default_count": f"assumption: no public page gives Epic's default page size ({SPECS})",
        "population": f"{BULK} (population data for backend apps through Group $export)",
        "bulk_params": f"{BULK} (_type and _since; _typeFilter is not relied on: assumption)",
        "sorts_by_last_updated": f"assumption: no Epic search page lists _sort ({SPECS})",
        "refresh_rotates": f"assumption: {OAUTH} issues a refresh token with each refresh answer",
        "advertises_pkce": OAUTH,
        "client_credentials": f"{OAUTH} (Backend Systems apps, SMART Backend Services)",
        "fhir_user_absolute": f"assumption: Epic's id_token names the user by an absolute URL ({OAUTH})",
        "scope_grammar": f"assumption: Epic grants SMART v1 scopes (patient/Patient.read) ({OAUTH})",
        "tenant_scoped": f"assumption: one FHIR base per organization, no tenant segment ({SPECS})",
        "separate_auth_host": f"assumption: oauth2 endpoints on the interconnect host ({OAUTH})",
        "binary_exact_accept": f"assumption: Binary answers FHIR JSON or its own type ({SPECS})",
    },
)


class EpicProfile(VendorProfile):
    rules = RULES
