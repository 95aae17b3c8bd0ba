"""SMART clinical scopes, v1 and v2 grammar (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).

v1: `patient/Observation.read`, `user/*.*`, `system/Patient.write`.
v2: `patient/Observation.rs`, `user/*.cruds`, `patient/Observation.rs?category=laboratory`.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

_CLINICAL = re.compile(
    r"^(?P<level>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]+)\."
    r"(?P<perms>read|write|\*|c?r?u?d?s?)(?:\?(?P<query>.+))?$"
)
_V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}

# Launch, identity and token-lifetime scopes the sandbox accepts besides clinical ones.
NON_CLINICAL = frozenset(
    {
        "launch",
        "launch/patient",
        "launch/encounter",
        "openid",
        "fhirUser",
        "profile",
        "offline_access",
        "online_access",
    }
)


@dataclass(frozen=True)
class ClinicalScope:
    level: str  # patient | user | system
    resource_type: str  # a FHIR type or "*"
    permissions: frozenset[str]  # of "c", "r", "u", "d", "s"
    v2: bool
    query: tuple[tuple[str, str], ...] = field(default=())

    def covers(self, resource_type: str, permission: str) -> bool:
        return self.resource_type in ("*", resource_type) and permission in self.permissions


def parse_clinical(scope: str) -> ClinicalScope | None:
    """Parse one clinical scope, or return None if `scope` is not one (or is malformed)."""
    match = _CLINICAL.match(scope)  # the pattern itself holds v2's c, r, u, d, s order
    if not match or not match["perms"]:
        return None
    perms = match["perms"]
    v2 = perms not in _V1_PERMISSIONS
    if not v2 and match["query"]:
        return None  # v1 has no query restrictions
    letters = perms if v2 else _V1_PERMISSIONS[perms]
    query = tuple(parse_qsl(match["query"] or "", keep_blank_values=True))
    return ClinicalScope(match["level"], match["type"], frozenset(letters), v2, query)


def is_valid(scope: str) -> bool:
    """True for a scope the sandbox understands: a clinical scope or a launch/identity scope."""
    return scope in NON_CLINICAL or parse_clinical(scope) is not None


def clinical_scopes(scopes) -> list[ClinicalScope]:
    return [parsed for s in scopes if (parsed := parse_clinical(s))]
