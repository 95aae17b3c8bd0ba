"""SMART Health IT's reference launcher: lenient (replayable codes, no jti check) but SMART-shaped.

Its FHIR server (HAPI) searches system-wide, sorts by `_lastUpdated` and supports `_include`.
smartapp never relies on it to catch abuse (SECURITY.md §0.3).
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

LAUNCHER = "https://launch.smarthealthit.org/"
HAPI = "the launcher's HAPI FHIR JPA server"
SEARCH = "https://hl7.org/fhir/R4/search.html"
HAPI_SEARCH = f"assumption: {HAPI} takes every R4 search parameter ({SEARCH})"

_COMMON = "_id _lastUpdated"
_CLINICAL = f"{_COMMON} patient subject date status"


def _rule(accepted: str, includes: str = ""):
    return search_rule(accepted, includes=includes, source=HAPI_SEARCH)


RULES = VendorRules(
    vendor="smart_launcher",
    search={
        "Patient": _rule(f"{_COMMON} identifier name family given birthdate gender"),
        "Practitioner": _rule(f"{_COMMON} identifier name"),
        "Medication": _rule(f"{_COMMON} code"),
        "Group": _rule(f"{_COMMON} member"),
        "MedicationRequest": _rule(
            f"{_CLINICAL} category intent authoredon",
            "MedicationRequest:medication MedicationRequest:requester",
        ),
        "MedicationStatement": _rule(f"{_CLINICAL} category"),
        "AllergyIntolerance": _rule(
            f"{_CLINICAL} clinical-status category",
            "AllergyIntolerance:recorder AllergyIntolerance:asserter",
        ),
        "DocumentReference": _rule(f"{_CLINICAL} category type period", "DocumentReference:author"),
        "ServiceRequest": _rule(
            f"{_CLINICAL} category code authored based-on",
            "ServiceRequest:patient ServiceRequest:requester ServiceRequest:performer",
        ),
        "Task": _rule(f"{_CLINICAL} based-on focus"),
        "Appointment": _rule(f"{_CLINICAL} based-on"),
        "Encounter": _rule(f"{_CLINICAL} type class based-on identifier", "Encounter:patient"),
    },
    max_count=1000,
    default_count=20,
    population="system_search",
    bulk_params=frozenset({"_type", "_since"}),
    sorts_by_last_updated=True,
    refresh_rotates=True,
    advertises_pkce=True,
    client_credentials=True,
    fhir_user_absolute=False,
    scope_grammar="v2",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={
        "search": HAPI_SEARCH,
        "max_count": f"assumption: the largest page of {HAPI}",
        "default_count": f"assumption: the default page of {HAPI}",
        "population": f"{SEARCH} (system-wide search of a type)",
        "bulk_params": f"assumption: the launcher's bulk server takes _type and _since ({LAUNCHER})",
        "sorts_by_last_updated": f"{SEARCH}#_sort",
        "refresh_rotates": f"assumption: a refresh answer carries a new refresh token ({LAUNCHER})",
        "advertises_pkce": f"assumption: the launcher's discovery lists S256 ({LAUNCHER})",
        "client_credentials": f"assumption: the launcher offers Backend Services ({LAUNCHER})",
        "fhir_user_absolute": f"assumption: a relative fhirUser ({LAUNCHER})",
        "scope_grammar": f"assumption: SMART v2 scopes ({LAUNCHER})",
        "tenant_scoped": f"assumption: one base per launch configuration ({LAUNCHER})",
        "separate_auth_host": f"assumption: authorization on the launcher's host ({LAUNCHER})",
        "binary_exact_accept": f"assumption: {HAPI} answers Binary as FHIR JSON or its own type",
    },
)


class SmartLauncherProfile(VendorProfile):
    rules = RULES
