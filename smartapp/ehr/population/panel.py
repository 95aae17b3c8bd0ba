"""A per-patient walk's panel from a FHIR Group: its active members' ids, with when each joined."""

from datetime import datetime

from smartapp.ehr.errors import EhrBadResponse
from smartapp.ehr.fhir import EhrClient
from smartapp.ehr.ids import is_fhir_id

from .base import parsed

MAX_MEMBERS = 200_000  # a Group read is also bounded in bytes by the client (20 MB)


def group_members(client: EhrClient, group_id: str) -> dict[str, datetime | None]:
    """Patient id -> member.period.start (None when the EHR does not say) of `Group/<group_id>`'s active
    members (FHIR R4 group.html: `inactive` members are left out). A member that is not a Patient on this
    EHR (another type, another server) is skipped.

    Assumption: the Group is read whole (one GET); none of the four vendors documents paging members.
    """
    group = client.read("Group", group_id)
    members = group.get("member", [])
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise EhrBadResponse()
    found: dict[str, datetime | None] = {}
    for member in members:
        patient = _patient_id(member, client.base_url)
        if patient and member.get("inactive") is not True:
            period = member.get("period")
            found[patient] = parsed(period.get("start")) if isinstance(period, dict) else None
    return found


def _patient_id(member, base_url: str) -> str:
    entity = member.get("entity") if isinstance(member, dict) else None
    reference = entity.get("reference") if isinstance(entity, dict) else None
    if not isinstance(reference, str):
        return ""
    if reference.startswith(f"{base_url}/"):
        reference = reference[len(base_url) + 1 :]
    kind, _, patient = reference.partition("/")
    return patient if kind == "Patient" and is_fhir_id(patient) else ""
