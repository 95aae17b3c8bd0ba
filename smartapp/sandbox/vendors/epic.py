"""Epic on FHIR, as published on fhir.epic.com."""

from smartapp.sandbox.vendors.emulation import Emulation
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules

OAUTH = "https://fhir.epic.com/Documentation?docId=oauth2"
BACKEND = "https://fhir.epic.com/Documentation?docId=oauth2&section=BackendOAuth2Guide"
BULK = "https://fhir.epic.com/Documentation?docId=fhir_bulk_data"
_PATIENT_SCOPED = f"assumption: Epic's FHIR searches are scoped to a patient (issue 13; {OAUTH})"

_BY_PATIENT = (frozenset({"_id", "patient"}),)
_BY_SUBJECT = (frozenset({"_id", "patient", "subject"}),)
_ID_ONLY = (frozenset({"_id"}),)


def _rule(accepted, required=_BY_PATIENT, source=_PATIENT_SCOPED) -> SearchRule:
    return SearchRule(accepted=frozenset(accepted), required=required, source=source)


_BY_ID = f"assumption: looked up by id only ({OAUTH})"
# Patient.Search (R4) lists `identifier`; the ADT feed matches PID-3 with it.
_PATIENT_SEARCH = "https://fhir.epic.com/Specifications (Patient.Search (R4): _id or identifier)"
_ID_OR_IDENTIFIER = (frozenset({"_id", "identifier"}),)

RULES = VendorRules(
    vendor="epic",
    search={
        "Patient": _rule({"_id", "identifier"}, _ID_OR_IDENTIFIER, _PATIENT_SEARCH),
        "Practitioner": _rule({"_id"}, _ID_ONLY, _BY_ID),
        "PractitionerRole": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({OAUTH})"),
        "Organization": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({OAUTH})"),
        "Medication": _rule({"_id"}, _ID_ONLY, _BY_ID),
        "Group": _rule({"_id"}, _ID_ONLY, f"assumption: the bulk export Group, by id ({BULK})"),
        "MedicationRequest": _rule({"_id", "patient", "status", "category", "date"}),
        "MedicationStatement": _rule({"_id", "patient", "status"}),
        "AllergyIntolerance": _rule({"_id", "patient"}),
        "DocumentReference": _rule(
            {"_id", "patient", "subject", "category", "type", "date", "status"}, _BY_SUBJECT
        ),
        "ServiceRequest": _rule({"_id", "patient", "subject", "status", "category"}, _BY_SUBJECT),
        "Task": _rule({"_id", "patient", "status"}),
        "Appointment": _rule({"_id", "patient", "status", "date"}),
        "Encounter": _rule({"_id", "patient", "subject", "status", "date", "type"}, _BY_SUBJECT),
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
        "search": f"{OAUTH} (per resource type: each SearchRule.source)",
        "max_count": f"assumption: no documented page limit; larger counts are clamped ({OAUTH})",
        "default_count": f"assumption: no documented default page size ({OAUTH})",
        "population": BULK,
        "bulk_params": f"{BULK} (_type and _since; _typeFilter is not relied on: assumption)",
        "sorts_by_last_updated": f"assumption: `_sort` is not supported ({OAUTH})",
        "refresh_rotates": f"assumption: treated like the SMART default, a new refresh token ({OAUTH})",
        "advertises_pkce": OAUTH,
        "client_credentials": BACKEND,
        "fhir_user_absolute": OAUTH,
        "scope_grammar": f"assumption: Epic grants SMART v1 scopes (patient/Patient.read) ({OAUTH})",
        "tenant_scoped": f"assumption: one base per Epic organization, no tenant segment ({OAUTH})",
        "separate_auth_host": OAUTH,
        "binary_exact_accept": f"assumption: Binary answers its content for */* ({OAUTH})",
    },
)

EMULATION = Emulation(
    page_param="sessionID",
    note_formats=("text/rtf",),
    one_export_job=False,
    sources={
        "page_param": f"assumption: Epic's next links carry an opaque session parameter ({OAUTH})",
        "note_formats": f"assumption: a clinical note comes as HTML and RTF attachments (issue 13; {OAUTH})",
        "last_updated_prefixes": f"assumption: no _lastUpdated search is emulated ({OAUTH})",
        "binary_accepts_wildcard": f"assumption: Binary answers its content for */* ({OAUTH})",
        "one_export_job": f"assumption: several export jobs may run ({BULK})",
    },
)
