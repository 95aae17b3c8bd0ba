"""The built-in sandbox EHR on its plain base (`/sandbox/fhir`): SMART 2.x strict, system-wide search.

The table is written out literally from what the sandbox serves (smartapp/sandbox/fhir/catalog.py and
search.py, docs/sandbox.md); the app never imports the sandbox, and tests/test_vendor_tables.py compares
this copy with the sandbox's own. Any parameter it does not know is a 400, `_sort` among them.
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

CATALOG = "assumption: the sandbox's own catalog (smartapp/sandbox/fhir/catalog.py, docs/sandbox.md)"
SMART = "https://hl7.org/fhir/smart-app-launch/STU2.2/"
BULK = "https://hl7.org/fhir/uv/bulkdata/STU2/export.html"

_COMMON = "_id _lastUpdated"
_CLINICAL = f"{_COMMON} patient subject date"


def _rule(accepted: str, includes: str = ""):
    return search_rule(accepted, includes=includes, source=CATALOG)


RULES = VendorRules(
    vendor="sandbox",
    search={
        "Patient": _rule(f"{_COMMON} identifier"),
        "Practitioner": _rule(_COMMON),
        "PractitionerRole": _rule(_COMMON),
        "Organization": _rule(_COMMON),
        "Medication": _rule(_COMMON),
        "Group": _rule(_COMMON),
        "MedicationRequest": _rule(
            f"{_CLINICAL} status category based-on",
            "MedicationRequest:medication MedicationRequest:requester",
        ),
        "MedicationStatement": _rule(f"{_CLINICAL} status category"),
        "AllergyIntolerance": _rule(
            f"{_CLINICAL} category", "AllergyIntolerance:recorder AllergyIntolerance:asserter"
        ),
        "DocumentReference": _rule(f"{_CLINICAL} status category type", "DocumentReference:author"),
        "ServiceRequest": _rule(
            f"{_CLINICAL} status category based-on",
            "ServiceRequest:patient ServiceRequest:requester ServiceRequest:performer",
        ),
        "Task": _rule(f"{_CLINICAL} status based-on"),
        "Appointment": _rule(f"{_CLINICAL} status based-on"),
        "Encounter": _rule(f"{_CLINICAL} status type based-on identifier", "Encounter:patient"),
    },
    max_count=1000,
    default_count=50,
    population="system_search",
    bulk_params=frozenset({"_type", "_since", "_typeFilter"}),
    sorts_by_last_updated=False,
    refresh_rotates=True,
    advertises_pkce=True,
    client_credentials=True,
    fhir_user_absolute=True,
    scope_grammar="v2",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={
        "search": CATALOG,
        "max_count": "assumption: smartapp/sandbox/fhir/search.py clamps _count to 1000",
        "default_count": "assumption: smartapp/sandbox/fhir/search.py pages 50 by default",
        "population": "assumption: the sandbox serves system-wide search, like HAPI or Medplum (issue 13 2a)",
        "bulk_params": BULK,
        "sorts_by_last_updated": "assumption: the sandbox refuses `_sort` with 400 (docs/sandbox.md)",
        "refresh_rotates": "assumption: ROTATE_REFRESH_TOKEN in smartapp/sandbox/conf.py",
        "advertises_pkce": f"{SMART}conformance.html",
        "client_credentials": f"{SMART}backend-services.html",
        "fhir_user_absolute": "assumption: the sandbox writes fhirUser under its FHIR base (auth/token.py)",
        "scope_grammar": f"{SMART}scopes-and-launch-context.html",
        "tenant_scoped": "assumption: one sandbox, one base (docs/sandbox.md)",
        "separate_auth_host": "assumption: authorize and token live under /sandbox/auth on the same origin",
        "binary_exact_accept": "https://hl7.org/fhir/R4/binary.html#rest",
    },
)


class SandboxProfile(VendorProfile):
    rules = RULES
