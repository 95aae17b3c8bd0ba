"""MEDITECH Expanse (Greenfield) FHIR R4 US Core. No public MEDITECH page could be found for these rules
(home.meditech.com / ehr.meditech.com); each is an assumption, or the SMART/US Core spec it follows."""

from smartapp.sandbox.vendors.emulation import Emulation
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules

US_CORE = "https://hl7.org/fhir/us/core/STU6.1/"
SMART_V1 = "https://hl7.org/fhir/smart-app-launch/1.0.0/scopes-and-launch-context/"
_US_CORE_SEARCH = f"assumption: US Core's mandatory searches, by patient ({US_CORE})"
_US_CORE_PATIENT = (
    f"assumption: US Core's Patient search by identifier (SHALL) "
    f"({US_CORE}StructureDefinition-us-core-patient.html)"
)

_BY_PATIENT = (frozenset({"_id", "patient"}),)
_ID_ONLY = (frozenset({"_id"}),)


def _rule(accepted, required=_BY_PATIENT, source=_US_CORE_SEARCH) -> SearchRule:
    return SearchRule(accepted=frozenset(accepted), required=required, source=source)


_CLINICAL = {"_id", "patient", "_lastUpdated"}

RULES = VendorRules(
    vendor="meditech",
    search={
        "Patient": _rule({"_id", "identifier"}, (frozenset({"_id", "identifier"}),), _US_CORE_PATIENT),
        "Practitioner": _rule({"_id"}, _ID_ONLY),
        "PractitionerRole": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({US_CORE})"),
        "Organization": _rule({"_id"}, _ID_ONLY, f"assumption: read by id ({US_CORE})"),
        "Medication": _rule({"_id"}, _ID_ONLY),
        "MedicationRequest": _rule(_CLINICAL | {"status"}),
        "AllergyIntolerance": _rule(_CLINICAL),
        "DocumentReference": _rule(_CLINICAL | {"category", "type", "date"}),
        "ServiceRequest": _rule(_CLINICAL | {"status"}),
        "Encounter": _rule(_CLINICAL | {"status", "date"}),
        "Appointment": _rule(_CLINICAL | {"status", "date"}),
        "Task": _rule(_CLINICAL | {"status"}),
        # US Core has no MedicationStatement profile after STU3 (assumption: still served, by patient).
        "MedicationStatement": _rule(_CLINICAL | {"status"}),
    },
    max_count=100,
    default_count=50,
    population="per_patient",
    bulk_params=frozenset(),
    sorts_by_last_updated=False,
    refresh_rotates=True,
    advertises_pkce=True,
    client_credentials=False,
    fhir_user_absolute=False,
    scope_grammar="v1",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={
        "search": f"{US_CORE} (per resource type: each SearchRule.source)",
        "max_count": "assumption: a page limit of 100, larger counts clamped",
        "default_count": "assumption: 50 per page",
        "population": "assumption: no Bulk Data export or backend access; per-patient searches",
        "bulk_params": "assumption: no Bulk Data export",
        "sorts_by_last_updated": "assumption: `_sort` is not supported",
        "refresh_rotates": "assumption: the SMART default, a new refresh token",
        "advertises_pkce": "assumption: PKCE S256 listed in discovery",
        "client_credentials": "assumption: no SMART Backend Services (issue 13)",
        "fhir_user_absolute": "assumption: fhirUser is a relative reference",
        "scope_grammar": f"assumption: SMART v1 scopes ({SMART_V1})",
        "tenant_scoped": "assumption: one base per MEDITECH organization",
        "separate_auth_host": "assumption: authorization on the FHIR host",
        "binary_exact_accept": "assumption: Binary answers its content for */*",
    },
)

EMULATION = Emulation(
    page_param="page",
    sources={
        "page_param": "assumption: an opaque page parameter in next links",
        "note_formats": "assumption: one attachment per note",
        "last_updated_prefixes": "assumption: any FHIR date prefix",
        "binary_accepts_wildcard": "assumption: Binary answers its content for */*",
        "one_export_job": "assumption: no Bulk Data export",
    },
)
