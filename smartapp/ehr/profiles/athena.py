"""athenahealth FHIR R4: PKCE works but is missing from discovery; rate limits may come back as 403.

Bulk `$export` exists (on the practice's Group) but athena advises against it for daily synchronisation,
so the follow-up sync runs per-patient incremental searches over its panel. athena's per-resource pages
could not be checked, so the search rules say "assumption:".
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

DOCS = "https://docs.athenahealth.com/api/"
BULK = f"{DOCS}workflows/fhir-bulk-export-workflow"
GROUP = f"{DOCS}fhir-r4/group"
AUTHORIZATION = f"{DOCS}guides/authorization-overview"
PER_PATIENT = f"assumption: searches name a patient (per-patient access, {AUTHORIZATION})"
BY_ID = f"assumption: looked up by id only ({AUTHORIZATION})"
US_CORE_PATIENT = "https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-patient.html"
BY_IDENTIFIER = (
    f"assumption: US Core's Patient search by identifier (SHALL), no athena page found ({US_CORE_PATIENT})"
)
_BY_PATIENT = "_id patient"
_CLINICAL = f"{_BY_PATIENT} _lastUpdated"


def _clinical(accepted: str = ""):
    return search_rule(f"{_CLINICAL} {accepted}", _BY_PATIENT, source=PER_PATIENT)


def _by_id(accepted: str = "_id"):
    return search_rule(accepted, "_id", source=BY_ID)


RULES = VendorRules(
    vendor="athena",
    search={
        "Patient": search_rule("_id _lastUpdated identifier", "_id identifier", source=BY_IDENTIFIER),
        "Practitioner": _by_id(),
        "PractitionerRole": _by_id(),
        "Organization": _by_id(),
        "Medication": _by_id(),
        "MedicationRequest": _clinical("status"),
        "MedicationStatement": _clinical("status"),
        "AllergyIntolerance": _clinical(),
        "DocumentReference": _clinical("category type date status"),
        # No category: the sync takes every request and the mapper keeps the referrals.
        "ServiceRequest": _clinical("status"),
        "Task": _clinical("status"),
        "Appointment": _clinical("status date"),
        "Encounter": _clinical("status date"),
        # No Group search: athena's Group only takes `$export` (GROUP).
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
        "search": f"{PER_PATIENT}; Group is export only ({GROUP})",
        "max_count": f"assumption: a small page limit, larger counts clamped ({AUTHORIZATION})",
        "default_count": f"assumption: a small default page ({AUTHORIZATION})",
        "population": f"{BULK} (bulk export is not recommended for daily data synchronizations)",
        "bulk_params": f"{BULK} (the _type parameter)",
        "sorts_by_last_updated": f"assumption: `_sort` is not supported ({AUTHORIZATION})",
        "refresh_rotates": "assumption: a refresh answer carries a new refresh token (SMART default)",
        "advertises_pkce": "assumption: athena's discovery omits code_challenge_methods_supported",
        "client_credentials": f"{AUTHORIZATION} (2-legged OAuth, client credentials); {BULK}",
        "fhir_user_absolute": "assumption: a relative fhirUser, as SMART's examples show",
        "scope_grammar": f"assumption: SMART v2 scopes ({DOCS})",
        "tenant_scoped": f"assumption: one FHIR base; the practice is named in ids ({GROUP})",
        "separate_auth_host": f"assumption: authorization on the API host ({DOCS})",
        "binary_exact_accept": f"assumption: no Accept rule published for Binary ({DOCS})",
    },
)


class AthenaProfile(VendorProfile):
    rules = RULES
