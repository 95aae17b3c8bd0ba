"""Importing FHIR R4 files (Bundles, single resources, NDJSON) into the sandbox store.

    resources_import(paths=[...]) -> counts per resource type; ImportFailed (nothing written) on any error

Reading (files.py) and resolving ids and references (resolve.py) touch no database; service.py writes.
"""

from .files import ImportFailed
from .service import SYNTHEA_DIR, resources_import

__all__ = ["SYNTHEA_DIR", "ImportFailed", "resources_import"]
