"""Importing FHIR files into the sandbox: read and resolve everything first, then write it in one
transaction, so that a bad file leaves the store as it was."""

from pathlib import Path

from django.db import transaction

from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic.groups import groups_refresh
from smartapp.sandbox.synthetic.loader import create_users, load
from smartapp.sandbox.synthetic.visits import with_visit_number

from .files import expand_paths, read_entries
from .resolve import has_identifier, resolve_entries

# The Synthea patients the sandbox serves besides its generated ones; see README.md beside them.
SYNTHEA_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "synthea-r4"


def resources_import(*, paths: list[str | Path]) -> dict[str, int]:
    """Import the FHIR files at `paths` (files or directories); counts per resource type.

    Raises ImportFailed, having written nothing, when any file or entry cannot be imported. Idempotent: a
    resource whose content did not change keeps its version and lastUpdated.
    """
    entries = [entry for path in expand_paths(paths) for entry in read_entries(path)]
    resources = [_with_visit(body) for body in resolve_entries(entries, stored_matches)]
    with transaction.atomic():
        counts = load(resources)
        create_users(resources)
        groups_refresh()  # the panel Groups (smartapp/sandbox/synthetic/groups.py) hold the new patients
    return counts


def _with_visit(body: dict) -> dict:
    # Imported Encounters get the sandbox's visit number too (the ADT feed's PV1-19), beside their own ids.
    return with_visit_number(body) if body["resourceType"] == "Encounter" else body


def stored_matches(resource_type: str, system: str | None, value: str) -> set[str]:
    """Ids of stored resources of `resource_type` with that identifier (system None: any system)."""
    # The identifier column (store.identifier_tokens) narrows in SQL; the exact match is checked below.
    token = value if system is None else f"{system}|{value}"
    rows = Resource.objects.filter(resource_type=resource_type, identifier__contains=f" {token} ")
    rows = rows.values_list("fhir_id", "body")
    return {fhir_id for fhir_id, body in rows if has_identifier(body, system, value)}
