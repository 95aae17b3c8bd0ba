"""Patient panels as FHIR Group resources, for Bulk Data `$export` on a Group and per-patient panels.

`groups_refresh()` rebuilds them from the Patient rows in the store: `all-patients` holds every patient,
and `pcp-<practitioner id>` the patients whose `generalPractitioner` is that practitioner. It runs after
every load (synthetic seed, Synthea import, benchmark panel), so the Groups always hold who is stored.

A member who joins a stored Group gets `period.start` = when it joined (members of a Group when it is made
have none: the seed gives the same Groups every time). A Group `$export` with `_since` before a member
joined sends that member's older resources too, as the IG allows
(https://hl7.org/fhir/uv/bulkdata/export.html, "_since" on Group export), so a client's watermark never
hides a patient who was added to its panel later.
"""

import re
from datetime import UTC, datetime

from django.utils import timezone

from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource

ALL_PATIENTS_ID = "all-patients"
PANEL_PREFIX = "pcp-"
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # https://hl7.org/fhir/R4/datatypes.html#id


def groups_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Bring every panel Group in line with the stored patients; {"Group": how many Groups exist}.

    `now` stamps the Groups that change (default: the current time), as `load()` stamps its resources.
    """
    now = now or timezone.now()
    panels = _panels()
    for group_id, (name, patient_ids) in panels.items():
        stored = Resource.objects.filter(resource_type="Group", fhir_id=group_id).values_list("body").first()
        # The members of a new Group have always been in it (no period): a seed gives the same Groups
        # every time. Who joins a stored Group later joins now.
        starts, joined = (group_members(stored[0]), now) if stored else ({}, None)
        body = group_body(group_id, name, patient_ids, starts, joined)
        if stored is None or _content(stored[0]) != body:
            save_resource(body, last_updated=now)
    return {"Group": len(panels)}


def group_body(
    group_id: str, name: str, patient_ids: list[str], starts: dict[str, str], joined: datetime | None
) -> dict:
    """A Group (type person, actual) of `patient_ids`. `starts`: the period.start of members already in it
    ("" for none); anyone else joins at `joined` (no period when that is None)."""
    stamp = _instant(joined) if joined else ""
    members = []
    for pid in patient_ids:
        member: dict = {"entity": {"reference": f"Patient/{pid}"}}
        if start := starts.get(pid, stamp):
            member["period"] = {"start": start}
        members.append(member)
    return {
        "resourceType": "Group",
        "id": group_id,
        "type": "person",
        "actual": True,
        "name": name,
        "quantity": len(members),
        "member": members,
    }


def group_members(body: dict) -> dict[str, str]:
    """Patient id -> the member's period.start ("" if none), for the active members of a Group body."""
    members = {}
    for member in body.get("member", []):
        reference = member.get("entity", {}).get("reference", "")
        if reference.startswith("Patient/") and not member.get("inactive", False):
            members[reference.removeprefix("Patient/")] = member.get("period", {}).get("start", "")
    return members


def _panels() -> dict[str, tuple[str, list[str]]]:
    """Group id -> (name, sorted patient ids): everyone, then one Group per primary-care practitioner."""
    rows = Resource.objects.filter(resource_type="Patient").values_list(
        "fhir_id", "body__generalPractitioner"
    )
    everyone, by_pcp = [], {}
    for patient_id, practitioners in rows.iterator(chunk_size=2000):
        everyone.append(patient_id)
        for pcp in _practitioner_ids(practitioners):
            by_pcp.setdefault(pcp, []).append(patient_id)
    panels = {ALL_PATIENTS_ID: ("All patients", sorted(everyone))}
    for pcp, patient_ids in sorted(by_pcp.items()):
        panels[f"{PANEL_PREFIX}{pcp}"] = (f"Patients of Practitioner/{pcp}", sorted(patient_ids))
    return panels


def _practitioner_ids(references) -> set[str]:
    found = set()
    for reference in references if isinstance(references, list) else []:
        value = reference.get("reference", "") if isinstance(reference, dict) else ""
        pcp = value.removeprefix("Practitioner/")
        # A group id must stay a FHIR id: skip references that would make it too long or malformed.
        if value.startswith("Practitioner/") and _FHIR_ID.match(f"{PANEL_PREFIX}{pcp}"):
            found.add(pcp)
    return found


def _content(body: dict) -> dict:
    """A stored Group without its server-assigned meta, comparable with a freshly built one."""
    return {key: value for key, value in body.items() if key != "meta"}


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
