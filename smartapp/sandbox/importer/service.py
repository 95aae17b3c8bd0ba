"""Importing FHIR files into the sandbox: read and resolve everything first, then write it in one
transaction, so that a bad file leaves the store as it was."""

import json
from pathlib import Path

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic.groups import groups_refresh
from smartapp.sandbox.synthetic.loader import create_users, load

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
    resources = resolve_entries(entries, stored_matches)
    with transaction.atomic():
        counts = load(resources)
        create_users(resources)
        groups_refresh()  # the panel Groups (smartapp/sandbox/synthetic/groups.py) hold the new patients
    return counts


def stored_matches(resource_type: str, system: str | None, value: str) -> set[str]:
    """Ids of stored resources of `resource_type` with that identifier (system None: any system)."""
    rows = Resource.objects.filter(resource_type=resource_type)
    if value.isascii():
        # Narrow in SQL to the rows whose JSON text holds the value; the exact match is checked below.
        rows = rows.annotate(raw=Cast("body", TextField())).filter(raw__contains=json.dumps(value))
    rows = rows.values_list("fhir_id", "body")
    return {fhir_id for fhir_id, body in rows if has_identifier(body, system, value)}
