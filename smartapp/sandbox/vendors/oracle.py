"""Oracle Health (Cerner) Millennium R4, as published on fhir.cerner.com and docs.oracle.com."""

from smartapp.sandbox.vendors.emulation import Emulation
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules

R4 = "https://fhir.cerner.com/millennium/r4/"
SERVICE_ROOT = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/srv_root_url.html"
SERVICE_REQUEST = "https://fhir.cerner.com/millennium/r4/clinical/care-provision/service-request/"
SERVICE_REQUEST_GET = (
    "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/op-servicerequest-get.html"
)
PATIENT_GET = (
    "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/op-patient-get.html"
)
OBSERVATION_GET = (
    "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/op-observation-get.html"
)
BINARY = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/binary.html"
AUTHORIZATION = "https://fhir.cerner.com/authorization/"
BULK = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfbda/api-bulk-export.html"
MILLENNIUM_BULK = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfbda/"
DOCUMENT_REFERENCE = f"{R4}foundation/documents/document-reference/"
APPOINTMENT = f"{R4}base/workflow/appointment/"
GROUP_EXPORT = f"{MILLENNIUM_BULK}op-group-group_id-export-get.html"
# The tenant the launch simulator uses when none is given (any UUID-shaped tenant is served).
DEFAULT_TENANT = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
_LIKE_SR = (
    f"assumption: a patient is required, as on every Millennium R4 clinical search ({R4}, {SERVICE_REQUEST})"
)

_BY_PATIENT = (frozenset({"_id", "patient"}),)
_BY_SUBJECT = (frozenset({"_id", "patient", "subject"}),)
_ID_ONLY = (frozenset({"_id"}),)


def _rule(accepted, required=_BY_PATIENT, source=_LIKE_SR) -> SearchRule:
    return SearchRule(accepted=frozenset(accepted), required=required, source=source)


RULES = VendorRules(
    vendor="oracle",
    search={
        "Patient": _rule({"_id", "identifier"}, (frozenset({"_id", "identifier"}),), PATIENT_GET),
        "Practitioner": _rule({"_id"}, _ID_ONLY, f"assumption: read by id, as Patient ({PATIENT_GET})"),
        "PractitionerRole": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({R4})"),
        "Organization": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({R4})"),
        "Medication": _rule({"_id"}, _ID_ONLY, f"assumption: read by id, as Patient ({PATIENT_GET})"),
        "Group": _rule({"_id"}, _ID_ONLY, f"assumption: the bulk export Group, by id ({GROUP_EXPORT})"),
        "MedicationRequest": _rule({"_id", "patient", "status", "_lastUpdated"}),
        "MedicationStatement": _rule({"_id", "patient", "status", "_lastUpdated"}),
        "AllergyIntolerance": _rule({"_id", "patient", "_lastUpdated"}),
        # The documented parameters: no date and no _lastUpdated (DOCUMENT_REFERENCE).
        "DocumentReference": _rule(
            {"_id", "patient", "subject", "category", "type"}, _BY_SUBJECT, DOCUMENT_REFERENCE
        ),
        # "_id: this, or patient or subject"; besides them only _lastUpdated and _count; no category.
        "ServiceRequest": _rule({"_id", "patient", "subject", "_lastUpdated"}, _BY_SUBJECT, SERVICE_REQUEST),
        "Task": _rule({"_id", "patient", "status", "_lastUpdated"}),
        # A patient search also needs a date (APPOINTMENT).
        "Appointment": _rule(
            {"_id", "patient", "status", "date"}, (*_BY_PATIENT, frozenset({"_id", "date"})), APPOINTMENT
        ),
        "Encounter": _rule({"_id", "patient", "subject", "status", "date", "_lastUpdated"}, _BY_SUBJECT),
    },
    max_count=100,
    default_count=50,
    population="bulk_export",
    bulk_params=frozenset({"_type", "_since", "_typeFilter"}),
    sorts_by_last_updated=False,
    refresh_rotates=False,
    advertises_pkce=True,
    client_credentials=True,
    fhir_user_absolute=True,
    scope_grammar="v1",
    tenant_scoped=True,
    separate_auth_host=True,
    binary_exact_accept=True,
    sources={
        "search": f"{R4} (per resource type: each SearchRule.source)",
        "max_count": f"{DOCUMENT_REFERENCE} (at most 100 a page; a larger _count is clamped: assumption)",
        "default_count": SERVICE_REQUEST_GET,
        "population": BULK,
        "bulk_params": f"{MILLENNIUM_BULK}group_export.html (_type, _typeFilter, _since)",
        "sorts_by_last_updated": SERVICE_REQUEST,
        "refresh_rotates": AUTHORIZATION,
        "advertises_pkce": AUTHORIZATION,
        "client_credentials": f"{AUTHORIZATION} (Requesting Authorization on Behalf of a System)",
        "fhir_user_absolute": f"assumption: an absolute URL under the tenant's FHIR base ({AUTHORIZATION})",
        "scope_grammar": f"{AUTHORIZATION} (scopes such as system/Patient.read)",
        "tenant_scoped": SERVICE_ROOT,
        "separate_auth_host": AUTHORIZATION,
        "binary_exact_accept": BINARY,
    },
)

EMULATION = Emulation(
    page_param="-pageContext",
    note_formats=(),
    last_updated_prefixes=("ge", "le"),
    binary_accepts_wildcard=False,
    one_export_job=True,
    sources={
        "page_param": f"assumption: Millennium's next links carry an opaque -pageContext parameter ({R4})",
        "note_formats": f"assumption: one attachment per note is emulated ({BINARY})",
        "last_updated_prefixes": SERVICE_REQUEST_GET,
        "binary_accepts_wildcard": BINARY,
        "one_export_job": f"assumption: one export job per client and tenant, else 429 (issue 13; {BULK})",
    },
)
