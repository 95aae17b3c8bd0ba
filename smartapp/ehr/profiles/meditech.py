"""MEDITECH Expanse (Greenfield): US Core R4, SMART v1 scopes, no Backend Services for app developers.

With no `client_credentials`, the follow-up sync reads per patient with a coordinator's offline grant
(`offline_access` in the coordinator's scopes). The Greenfield API Explorer is registration-gated, so the
per-type parameters follow US Core's patient searches and say "assumption:".
"""

from smartapp.ehr.profiles.base import VendorProfile
from smartapp.ehr.profiles.rules import VendorRules, search_rule

GREENFIELD = "https://ehr.meditech.com/ehr-solutions/greenfield-workspace"
US_CORE = "https://hl7.org/fhir/us/core/STU6.1/"
US_CORE_SEARCH = f"assumption: US Core's mandatory searches, by patient ({US_CORE})"
US_CORE_PATIENT = (
    f"assumption: US Core's Patient search by identifier (SHALL) "
    f"({US_CORE}StructureDefinition-us-core-patient.html)"
)
_BY_PATIENT = "_id patient"
_CLINICAL = f"{_BY_PATIENT} _lastUpdated"


def _clinical(accepted: str = ""):
    return search_rule(f"{_CLINICAL} {accepted}", _BY_PATIENT, source=US_CORE_SEARCH)


def _by_id():
    return search_rule("_id", "_id", source=US_CORE_SEARCH)


RULES = VendorRules(
    vendor="meditech",
    search={
        "Patient": search_rule("_id identifier", "_id identifier", source=US_CORE_PATIENT),
        "Practitioner": _by_id(),
        "PractitionerRole": _by_id(),
        "Organization": _by_id(),
        "Medication": _by_id(),
        "MedicationRequest": _clinical("status"),
        "AllergyIntolerance": _clinical(),
        "DocumentReference": _clinical("category type date"),
        # No category: the sync takes every request and the mapper keeps the referrals.
        "ServiceRequest": _clinical("status"),
        "Encounter": _clinical("status date"),
        "Appointment": _clinical("status date"),
        # Task and MedicationStatement are outside US Core's profiles (assumption: still served by patient).
        "Task": _clinical("status"),
        "MedicationStatement": _clinical("status"),
        # No Group search: no Bulk Data for app developers; a per-patient panel needs no Group.
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
        "search": US_CORE_SEARCH,
        "max_count": f"assumption: no public page gives MEDITECH's page limit ({GREENFIELD})",
        "default_count": f"assumption: no public page gives MEDITECH's default page size ({GREENFIELD})",
        "population": "assumption: no Backend Services nor Bulk Data for app developers (issue 13)",
        "bulk_params": "assumption: no Bulk Data export offered to app developers",
        "sorts_by_last_updated": f"assumption: `_sort` is not among US Core's parameters ({US_CORE})",
        "refresh_rotates": "assumption: a refresh answer carries a new refresh token (SMART default)",
        "advertises_pkce": f"assumption: discovery lists S256 ({GREENFIELD})",
        "client_credentials": (
            "assumption: issue 13; third-party testing reports client_credentials advertised in "
            "Greenfield's discovery but not enabled for app clients"
        ),
        "fhir_user_absolute": "assumption: a relative fhirUser, as SMART's examples show",
        "scope_grammar": f"assumption: SMART v1 scopes (patient/Patient.read) ({GREENFIELD})",
        "tenant_scoped": f"assumption: one FHIR base per MEDITECH organization ({GREENFIELD})",
        "separate_auth_host": f"assumption: oauth endpoints on the API host ({GREENFIELD})",
        "binary_exact_accept": f"assumption: no Accept rule published for Binary ({GREENFIELD})",
    },
)


class MeditechProfile(VendorProfile):
    rules = RULES
