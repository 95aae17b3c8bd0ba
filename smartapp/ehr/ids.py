"""FHIR R4 ids: `[A-Za-z0-9\\-\\.]{1,64}` (https://hl7.org/fhir/R4/datatypes.html#id)."""

import re

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_fhir_id(value) -> bool:
    """True for a valid FHIR id that is not a path step ("." or ".."), which an id in a URL must never be."""
    return isinstance(value, str) and _FHIR_ID.fullmatch(value) is not None and value not in (".", "..")
