"""Who and what the EHR simulator can launch with: sandbox users, patients, encounters and clients.

Everything is read from the sandbox's own tables (`Resource` rows and `SandboxIdentity`), so the lists
are simply empty when the sandbox has not been seeded.
"""

from dataclasses import dataclass

from oauth2_provider.models import get_application_model

from smartapp.sandbox.models import ClientProfile, Resource, SandboxIdentity

FALLBACK_LAUNCH_URL = "http://127.0.0.1:8000/launch/"
EHR_ROLES = (SandboxIdentity.Role.PRACTITIONER, SandboxIdentity.Role.COORDINATOR)
_MRN_TYPE = "MR"  # v2-0203 identifier type "Medical record number"


@dataclass(frozen=True)
class EhrUser:
    user_id: int
    fhir_id: str  # "pr-1", the id the launch URL's `user=` names
    fhir_user: str  # "Practitioner/pr-1"
    name: str
    role: str


@dataclass(frozen=True)
class PatientEntry:
    fhir_id: str
    name: str
    birth_date: str
    mrn: str


@dataclass(frozen=True)
class EncounterEntry:
    fhir_id: str
    patient_id: str
    label: str


def ehr_users() -> list[EhrUser]:
    """Sandbox users who can launch an app from the EHR: practitioners and coordinators."""
    identities = SandboxIdentity.objects.filter(role__in=EHR_ROLES).order_by("fhir_user")
    identities = sorted(identities, key=lambda identity: EHR_ROLES.index(identity.role))
    names = _practitioner_names([i.fhir_user.partition("/")[2] for i in identities])
    return [_ehr_user(identity, names) for identity in identities]


def find_ehr_user(reference: str) -> SandboxIdentity | None:
    """The practitioner or coordinator named by `reference`: "pr-1" or "Practitioner/pr-1"."""
    fhir_user = reference if "/" in reference else f"Practitioner/{reference}"
    rows = SandboxIdentity.objects.filter(fhir_user=fhir_user, role__in=EHR_ROLES, user__is_active=True)
    return rows.select_related("user").first()


def patients() -> list[PatientEntry]:
    """Every sandbox patient, by name."""
    rows = Resource.objects.filter(resource_type="Patient")
    entries = [_patient_entry(row.fhir_id, row.body) for row in rows]
    return sorted(entries, key=lambda entry: (entry.name.lower(), entry.fhir_id))


def patient_exists(fhir_id: str) -> bool:
    return Resource.objects.filter(resource_type="Patient", fhir_id=fhir_id).exists()


def encounters(patient_id: str = "") -> list[EncounterEntry]:
    """Encounters, newest first; only those of `patient_id` when one is given."""
    rows = Resource.objects.filter(resource_type="Encounter").order_by("patient_id", "-date", "fhir_id")
    if patient_id:
        rows = rows.filter(patient_id=patient_id)
    return [EncounterEntry(row.fhir_id, row.patient_id, encounter_label(row.body)) for row in rows]


def encounter_patient(fhir_id: str) -> str | None:
    """The patient an encounter belongs to, or None when there is no such encounter."""
    row = Resource.objects.filter(resource_type="Encounter", fhir_id=fhir_id).only("patient_id").first()
    return row.patient_id if row else None


def registered_clients() -> list:
    """The sandbox's registered clients (django-oauth-toolkit Applications), oldest first."""
    return list(get_application_model().objects.order_by("pk"))


def launch_urls() -> dict[int, str]:
    """Application pk -> the launch URL its `ClientProfile` declares."""
    profiles = ClientProfile.objects.exclude(launch_url="")
    return dict(profiles.values_list("application_id", "launch_url"))


def default_launch_url() -> str:
    """The first registered client's launch URL, else the app's own on this machine."""
    profile = ClientProfile.objects.exclude(launch_url="").order_by("application_id").first()
    return profile.launch_url if profile else FALLBACK_LAUNCH_URL


def human_name(names) -> str:
    """A display name from a FHIR HumanName list, preferring the official one."""
    if not isinstance(names, list) or not names:
        return ""
    name = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
    if not isinstance(name, dict):
        return ""
    if name.get("text"):
        return name["text"]
    parts = [*name.get("prefix", []), *name.get("given", []), name.get("family", "")]
    return " ".join(part for part in parts if part)


def encounter_label(body: dict) -> str:
    """ "2024-03-01 · Office visit · finished" from an Encounter resource."""
    start = ((body.get("period") or {}).get("start") or "")[:10]
    kind = _concept_text((body.get("type") or [None])[0]) or (body.get("class") or {}).get("display", "")
    parts = [start, kind or "Encounter", body.get("status", "")]
    return " · ".join(part for part in parts if part)


def _ehr_user(identity: SandboxIdentity, names: dict[str, str]) -> EhrUser:
    fhir_id = identity.fhir_user.partition("/")[2]
    name = names.get(fhir_id) or identity.fhir_user
    return EhrUser(identity.user_id, fhir_id, identity.fhir_user, name, identity.role)


def _practitioner_names(fhir_ids: list[str]) -> dict[str, str]:
    rows = Resource.objects.filter(resource_type="Practitioner", fhir_id__in=fhir_ids)
    return {row.fhir_id: human_name(row.body.get("name")) for row in rows}


def _patient_entry(fhir_id: str, body: dict) -> PatientEntry:
    name = human_name(body.get("name")) or f"Patient/{fhir_id}"
    return PatientEntry(fhir_id, name, body.get("birthDate", ""), _mrn(body.get("identifier") or []))


def _mrn(identifiers: list) -> str:
    for identifier in identifiers:
        codes = [c.get("code") for c in (identifier.get("type") or {}).get("coding", [])]
        if _MRN_TYPE in codes:
            return identifier.get("value", "")
    return ""


def _concept_text(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    codings = concept.get("coding") or [{}]
    return concept.get("text") or codings[0].get("display") or codings[0].get("code", "")


def has_directory() -> bool:
    """True when the sandbox has been seeded with someone to launch as and someone to launch for."""
    users = SandboxIdentity.objects.filter(role__in=EHR_ROLES)
    return users.exists() and Resource.objects.filter(resource_type="Patient").exists()
