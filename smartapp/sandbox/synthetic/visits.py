"""Visit numbers: every sandbox Encounter carries one, as hospitals' Encounters do, and the ADT feed sends it
as PV1-19 (https://hl7.org/fhir/R4/encounter-definitions.html#Encounter.identifier; v2 table 0203 "VN")."""

import hashlib

from .elements import concept
from .terminology import IDENTIFIER_TYPE, VISIT_SYSTEM


def visit_number(encounter_id: str) -> str:
    """ "V" and eight digits derived from the Encounter's id: the same Encounter always gets the same one."""
    digest = hashlib.sha256(encounter_id.encode()).digest()
    return f"V{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def visit_identifier(encounter_id: str) -> dict:
    """The Encounter.identifier holding its visit number."""
    return {
        "use": "official",
        "type": concept(IDENTIFIER_TYPE, "VN", "Visit number"),
        "system": VISIT_SYSTEM,
        "value": visit_number(encounter_id),
    }


def with_visit_number(encounter: dict) -> dict:
    """`encounter` with a visit number added when it has none (its own identifiers are kept)."""
    identifiers = encounter.get("identifier")
    identifiers = identifiers if isinstance(identifiers, list) else []
    if any(isinstance(i, dict) and i.get("system") == VISIT_SYSTEM for i in identifiers):
        return encounter
    return {**encounter, "identifier": [*identifiers, visit_identifier(encounter["id"])]}
