"""Oracle Health (Cerner) Millennium R4: tenant-scoped URLs, authorization on another host, strict search.

Every search names the patient (or the resource ids) and accepts only the parameters its page lists; a
refresh answers without a new refresh token (the old one stays valid); population data for a backend app
comes through Bulk Data `$export` on a Group, one export job per client and tenant at a time.
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

R4 = "https://fhir.cerner.com/millennium/r4/"
AUTH = "https://fhir.cerner.com/authorization/"
MFRAP = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/"
BULK = "https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfbda/"
SERVICE_REQUEST = f"{R4}clinical/care-provision/service-request/"
DOCUMENT_REFERENCE = f"{R4}foundation/documents/document-reference/"
ENCOUNTER = f"{R4}base/management/encounter/ and {MFRAP}op-encounter-get.html"
APPOINTMENT = f"{R4}base/workflow/appointment/ and {MFRAP}op-appointment-get.html"
PATIENT_GET = f"{MFRAP}op-patient-get.html"
LIKE_OTHERS = f"assumption: patient or _id required like every Millennium clinical search ({R4})"
BY_ID = f"assumption: read by id ({R4})"
_BY_PATIENT = "_id patient"
_BY_SUBJECT = "_id patient subject"


def _by_id(source: str = BY_ID):
    return search_rule("_id", "_id", source=source)


RULES = VendorRules(
    vendor="oracle",
    search={
        # The page also lists identifier (system|value), and name, birthdate, ... that smartapp never sends.
        "Patient": search_rule("_id identifier", "_id identifier", source=PATIENT_GET),
        "Practitioner": _by_id(),
        "PractitionerRole": _by_id(),
        "Organization": _by_id(),
        "Medication": _by_id(),
        "Group": _by_id(
            f"assumption: the bulk export Group, by id ({BULK}op-group-group_id-export-get.html)"
        ),
        "MedicationRequest": search_rule(
            f"{_BY_PATIENT} status _lastUpdated", _BY_PATIENT, source=LIKE_OTHERS
        ),
        "MedicationStatement": search_rule(
            f"{_BY_PATIENT} status _lastUpdated", _BY_PATIENT, source=LIKE_OTHERS
        ),
        "AllergyIntolerance": search_rule(f"{_BY_PATIENT} _lastUpdated", _BY_PATIENT, source=LIKE_OTHERS),
        "Task": search_rule(f"{_BY_PATIENT} status _lastUpdated", _BY_PATIENT, source=LIKE_OTHERS),
        # No _lastUpdated: a note search cannot be narrowed to what changed (every run reads them all).
        # The page also lists encounter and period, which smartapp never sends (left out, like code below).
        "DocumentReference": search_rule(
            f"{_BY_SUBJECT} type category", _BY_SUBJECT, source=DOCUMENT_REFERENCE
        ),
        # No category, no _sort: referrals are told apart client side. _lastUpdated takes ge/le with a time.
        "ServiceRequest": search_rule(f"{_BY_SUBJECT} _lastUpdated", _BY_SUBJECT, source=SERVICE_REQUEST),
        # A date is required with `patient` (the second set: `_id` alone, or a date). Practitioner and
        # location searches, also on the page, are not used by smartapp.
        "Appointment": search_rule(f"{_BY_PATIENT} date status", _BY_PATIENT, "_id date", source=APPOINTMENT),
        "Encounter": search_rule(f"{_BY_SUBJECT} date status _lastUpdated", _BY_SUBJECT, source=ENCOUNTER),
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
        "search": f"{R4} (per resource type, in each SearchRule.source)",
        "max_count": f"{DOCUMENT_REFERENCE} (at most 100 documents a page)",
        "default_count": f"{MFRAP}op-servicerequest-get.html (the default count is 50)",
        "population": f"{BULK}group_export.html",
        "bulk_params": f"{BULK}group_export.html (_type, _typeFilter, _since)",
        "sorts_by_last_updated": f"{SERVICE_REQUEST} (no _sort parameter)",
        "refresh_rotates": f"{AUTH} (a refresh keeps the refresh token already held)",
        "advertises_pkce": f"assumption: the tenant's smart-configuration lists S256 ({AUTH})",
        "client_credentials": f"{AUTH} (Requesting Authorization on Behalf of a System)",
        "fhir_user_absolute": f"assumption: an absolute URL under the tenant's FHIR base ({AUTH})",
        "scope_grammar": f"{AUTH} (scopes such as system/Patient.read)",
        "tenant_scoped": f"{MFRAP}r4_overview.html (the tenant id is a path segment of the service root)",
        "separate_auth_host": f"{AUTH} (authorization.cerner.com)",
        "binary_exact_accept": f"{MFRAP}op-documentreference-get.html (see Binary for the Accept header)",
    },
)


class OracleProfile(VendorProfile):
    rules = RULES
