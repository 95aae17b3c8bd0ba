"""Loading generated resources into the sandbox store, and creating the sandbox users who act as them."""

from collections import Counter
from datetime import UTC, date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from smartapp.sandbox.models import Resource, SandboxIdentity
from smartapp.sandbox.store import index_fields

from . import catalog
from .generator import generate
from .groups import groups_refresh

BATCH = 500
UPDATED_COLUMNS = [
    "version_id",
    "last_updated",
    "patient_id",
    "status",
    "category",
    "type",
    "date",
    "based_on",
    "identifier",
    "body",
]
SERVER_META = ("versionId", "lastUpdated")


def load_all(seed: int = catalog.DEFAULT_SEED, anchor: date | None = None) -> dict[str, int]:
    """Generate every synthetic resource, load it, create its sandbox users and bring the panel Groups up
    to date; counts per resource type."""
    resources = generate(seed=seed, anchor=anchor)
    now = timezone.now()  # one stamp for everything written, the Groups too
    with transaction.atomic():
        counts = load(resources, [now] * len(resources))
        create_users(resources)
        counts = dict(sorted({**counts, **groups_refresh(now=now)}.items()))
    return counts


def load(resources: list[dict], stamps: list[datetime] | None = None) -> dict[str, int]:
    """Insert or update `resources` in bulk; counts per resource type.

    `stamps`, one per resource, are their lastUpdated times when they change (default: now).
    Idempotent: a resource whose content did not change keeps its row, version and lastUpdated.
    """
    existing = _stored_bodies(resources)
    compartments = _binary_compartments(resources)
    stamps = stamps or [timezone.now()] * len(resources)
    rows = []
    for body, stamp in zip(resources, stamps, strict=True):
        stored = existing.get((body["resourceType"], body["id"]))
        if stored is None or _content(stored[1]) != body:
            version = stored[0] + 1 if stored else 1
            rows.append(_row(body, version, stamp, compartments))
    Resource.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["resource_type", "fhir_id"],
        update_fields=UPDATED_COLUMNS,
    )
    return dict(sorted(Counter(body["resourceType"] for body in resources).items()))


def create_users(resources: list[dict]) -> int:
    """A Django user and SandboxIdentity for every Practitioner and Patient (unusable passwords: sandbox
    sign-in is by picking a user). Idempotent; returns how many identities exist for these resources."""
    users = get_user_model().objects
    count = 0
    for body in resources:
        role = _role(body)
        if role is None:
            continue
        first, last = _names(body)
        user, _ = users.update_or_create(
            username=catalog.username(body["id"]),
            defaults={"first_name": first[:150], "last_name": last[:150]},
            create_defaults={
                "first_name": first[:150],
                "last_name": last[:150],
                "password": make_password(None),
            },
        )
        SandboxIdentity.objects.update_or_create(
            fhir_user=f"{body['resourceType']}/{body['id']}", defaults={"user": user, "role": role}
        )
        count += 1
    return count


def _stored_bodies(resources: list[dict]) -> dict[tuple[str, str], tuple[int, dict]]:
    ids_by_type: dict[str, list[str]] = {}
    for body in resources:
        ids_by_type.setdefault(body["resourceType"], []).append(body["id"])
    stored = {}
    for resource_type, ids in ids_by_type.items():
        for start in range(0, len(ids), BATCH):
            rows = Resource.objects.filter(
                resource_type=resource_type, fhir_id__in=ids[start : start + BATCH]
            )
            for fhir_id, version, body in rows.values_list("fhir_id", "version_id", "body"):
                stored[(resource_type, fhir_id)] = (version, body)
    return stored


def _binary_compartments(resources: list[dict]) -> dict[str, str]:
    """DocumentReference id -> patient id, so that each Binary joins its note's patient compartment."""
    return {
        body["id"]: index_fields(body)["patient_id"]
        for body in resources
        if body["resourceType"] == "DocumentReference"
    }


def _row(body: dict, version: int, now: datetime, compartments: dict[str, str]) -> Resource:
    fields = index_fields(body)
    if body["resourceType"] == "Binary":
        note_id = body.get("securityContext", {}).get("reference", "").removeprefix("DocumentReference/")
        fields["patient_id"] = compartments.get(note_id, "")
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    meta = {**body.get("meta", {}), "versionId": str(version), "lastUpdated": stamp}
    return Resource(
        resource_type=body["resourceType"],
        fhir_id=body["id"],
        version_id=version,
        last_updated=now,
        body={**body, "meta": meta},
        **fields,
    )


def _content(stored_body: dict) -> dict:
    """A stored body without the server-assigned meta, comparable with a freshly generated one."""
    meta = {key: value for key, value in stored_body.get("meta", {}).items() if key not in SERVER_META}
    content = {key: value for key, value in stored_body.items() if key != "meta"}
    return {**content, "meta": meta} if meta else content


def _role(body: dict) -> str | None:
    if body["resourceType"] == "Patient":
        return SandboxIdentity.Role.PATIENT
    if body["resourceType"] != "Practitioner":
        return None
    if body["id"] == catalog.COORDINATOR_ID:
        return SandboxIdentity.Role.COORDINATOR
    return SandboxIdentity.Role.PRACTITIONER


def _names(body: dict) -> tuple[str, str]:
    name = (body.get("name") or [{}])[0]
    return " ".join(name.get("given", [])), name.get("family", "")
