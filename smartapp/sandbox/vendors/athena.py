"""athenahealth (athenaOne) FHIR R4, as published on docs.athenahealth.com."""

from smartapp.sandbox.vendors.emulation import Emulation
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules

AUTHORIZE = "https://docs.athenahealth.com/api/guides/authorize-endpoint"
AUTHORIZATION = "https://docs.athenahealth.com/api/guides/authorization-overview"
ONBOARDING = "https://docs.athenahealth.com/api/guides/onboarding-overview"
# Bulk `$export` on the practice's Group exists; athena advises against it for daily synchronisation.
BULK = "https://docs.athenahealth.com/api/workflows/fhir-bulk-export-workflow"
_BY_PATIENT_SOURCE = f"assumption: searches name a patient (per-patient access, {AUTHORIZATION})"

_BY_PATIENT = (frozenset({"_id", "patient"}),)
_ID_ONLY = (frozenset({"_id"}),)


def _rule(accepted, required=_BY_PATIENT, source=_BY_PATIENT_SOURCE) -> SearchRule:
    return SearchRule(accepted=frozenset(accepted), required=required, source=source)


_BY_ID = f"assumption: looked up by id only ({AUTHORIZATION})"
_US_CORE_PATIENT = "https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-patient.html"
_BY_IDENTIFIER = (
    f"assumption: US Core's Patient search by identifier (SHALL), no athena page found ({_US_CORE_PATIENT})"
)
_CLINICAL = {"_id", "patient", "_lastUpdated"}

RULES = VendorRules(
    vendor="athena",
    search={
        "Patient": _rule(
            {"_id", "_lastUpdated", "identifier"}, (frozenset({"_id", "identifier"}),), _BY_IDENTIFIER
        ),
        "Practitioner": _rule({"_id"}, _ID_ONLY, _BY_ID),
        "PractitionerRole": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({AUTHORIZATION})"),
        "Organization": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({AUTHORIZATION})"),
        "Medication": _rule({"_id"}, _ID_ONLY, _BY_ID),
        "MedicationRequest": _rule(_CLINICAL | {"status"}),
        "MedicationStatement": _rule(_CLINICAL | {"status"}),
        "AllergyIntolerance": _rule(_CLINICAL),
        "DocumentReference": _rule(_CLINICAL | {"category", "type", "date", "status"}),
        "ServiceRequest": _rule(_CLINICAL | {"status"}),
        "Task": _rule(_CLINICAL | {"status"}),
        "Appointment": _rule(_CLINICAL | {"status", "date"}),
        "Encounter": _rule(_CLINICAL | {"status", "date"}),
    },
    max_count=100,
    default_count=20,
    population="per_patient",
    bulk_params=frozenset({"_type"}),
    sorts_by_last_updated=False,
    refresh_rotates=True,
    advertises_pkce=False,
    client_credentials=True,
    fhir_user_absolute=False,
    scope_grammar="v2",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={
        "search": f"{AUTHORIZATION} (per resource type: each SearchRule.source)",
        "max_count": f"assumption: a small page limit, larger counts clamped ({AUTHORIZATION})",
        "default_count": f"assumption: a small default page ({AUTHORIZATION})",
        "population": f"{BULK} (bulk export is not recommended for daily data synchronizations)",
        "bulk_params": f"{BULK} (the _type parameter)",
        "sorts_by_last_updated": f"assumption: `_sort` is not supported ({AUTHORIZATION})",
        "refresh_rotates": f"assumption: Okta-style refresh rotation ({AUTHORIZATION})",
        "advertises_pkce": f"assumption: PKCE works but discovery does not list it (issue 13; {AUTHORIZE})",
        "client_credentials": f"{AUTHORIZATION} (2-legged OAuth uses the client credentials grant)",
        "fhir_user_absolute": f"assumption: fhirUser is a relative reference ({AUTHORIZE})",
        "scope_grammar": f"assumption: SMART v2 scopes ({AUTHORIZE})",
        "tenant_scoped": f"assumption: the practice is named per request, not in the base ({AUTHORIZATION})",
        "separate_auth_host": AUTHORIZE,
        "binary_exact_accept": f"assumption: Binary answers its content for */* ({AUTHORIZATION})",
    },
)

EMULATION = Emulation(
    page_param="_getpagesoffset",
    sources={
        "page_param": f"assumption: an opaque offset parameter in next links ({AUTHORIZATION})",
        "note_formats": f"assumption: one attachment per note ({AUTHORIZATION})",
        "last_updated_prefixes": f"assumption: any FHIR date prefix ({AUTHORIZATION})",
        "binary_accepts_wildcard": f"assumption: Binary answers its content for */* ({AUTHORIZATION})",
        "one_export_job": f"assumption: not documented; the emulation does not limit jobs ({BULK})",
    },
)
