"""What the sandbox holds, and what a follow-up sync of it must therefore have stored (the ground truth the
matrix compares the app's rows with), and what the sync's requests say about how it read the EHR."""

from smartapp.referrals import mappers
from smartapp.referrals.models import Referral
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.loader import load
from tests.matrix.traffic import Seen, searches

PATIENT_PARAMS = ("patient", "subject")


def referral_refs(patients) -> set[str]:
    """The referrals and hospital stays (discharges) of `patients` in the sandbox, as the app keys them."""
    refs = set()
    rows = Resource.objects.filter(resource_type__in=("ServiceRequest", "Encounter"), patient_id__in=patients)
    for resource_type, fhir_id, body in rows.values_list("resource_type", "fhir_id", "body"):
        if resource_type == "ServiceRequest" and mappers.is_referral(body):
            refs.add(f"ServiceRequest/{fhir_id}")
        elif resource_type == "Encounter" and mappers.discharge(body) is not None:
            refs.add(f"Encounter/{fhir_id}")
    return refs


def stored_refs(connection: str) -> set[str]:
    return set(Referral.objects.filter(connection=connection).values_list("fhir_ref", flat=True))


def referral_bump(state: str = "overdue") -> tuple[str, int]:
    """Change one seeded referral in the sandbox (a new version, lastUpdated now): (its ref, its version)."""
    fhir_id = catalog.FOLLOW_UP_REFERRAL_IDS[state]
    row = Resource.objects.get(resource_type="ServiceRequest", fhir_id=fhir_id)
    body = {key: value for key, value in row.body.items() if key != "meta"}
    body["priority"] = "asap" if body.get("priority") == "urgent" else "urgent"
    load([body])
    return f"ServiceRequest/{fhir_id}", Resource.objects.get(pk=row.pk).version_id


def kick_offs(log: list[Seen], base_path: str, group_id: str) -> list[Seen]:
    """Bulk Data kick-off requests on the Group (https://hl7.org/fhir/uv/bulkdata/export.html)."""
    path = f"{base_path}/Group/{group_id}/$export"
    return [seen for seen in log if seen.path == path]


def patient_less(log: list[Seen], base_path: str, resource_type: str) -> list[Seen]:
    """Searches of `resource_type` across all patients (no patient or subject parameter)."""
    return [
        seen
        for seen in searches(log, base_path, resource_type)
        if not any(seen.param(name) for name in PATIENT_PARAMS)
    ]


def searched_patients(log: list[Seen], base_path: str, resource_type: str) -> set[str]:
    """The patient ids of `resource_type` searches scoped to one patient."""
    found = set()
    for seen in searches(log, base_path, resource_type):
        value = next((seen.param(name) for name in PATIENT_PARAMS if seen.param(name)), "")
        if value:
            found.add(value.removeprefix("Patient/"))
    return found
