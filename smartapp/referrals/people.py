"""Names of the EHR's people in FHIR resources (requesters, performers, authors). Pure.

A reference is named from the Practitioner, PractitionerRole, Organization or CareTeam it points at when the
search `_include`d it (the current name), else from the reference's own `display`, else from a contained
resource. Never from the reference itself: "Practitioner/pr-004" is not a name, so it is left "" and the
page shows a neutral mark. (team_names.py names smartapp's own users.)
"""

import re
from collections.abc import Mapping

from smartapp.core.display_text import text as display_text
from smartapp.ehr.names import human_name

from . import elements as el

NAMED_TYPES = ("Practitioner", "PractitionerRole", "Organization", "CareTeam")
# A display that is only a reference ("Practitioner/12"), a URL or URN, or a local "#id" names nobody.
_NOT_A_NAME = re.compile(r"[A-Za-z]+/[A-Za-z0-9\-.]{1,64}|[a-z][a-z0-9+.\-]*:\S*|#\S*")


def people_names(resources) -> dict[str, str]:
    """ "Practitioner/1", "PractitionerRole/7", "Organization/3", "CareTeam/2" -> a name, from the
    resources a page included. A PractitionerRole is named after its practitioner, else its organization."""
    named = []
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and resource.get("resourceType") in NAMED_TYPES:
            try:
                named.append((el.own_ref(resource, resource["resourceType"]), resource))
            except el.Unparseable:
                continue
    names = {key: name for key, resource in named if (name := own_name(resource))}
    for key, role in named:
        if role["resourceType"] == "PractitionerRole" and (name := _role_name(role, names, resource={})):
            names.setdefault(key, name)
    return names


def display_for(resource: dict, reference, key: str, names: Mapping[str, str]) -> str:
    """The name of whom `reference` (an element of `resource`, keyed `key`) points at, or ""."""
    own = reference.get("display") if isinstance(reference, dict) else None
    included = names.get(key, "") if key else ""
    return included or clean_name(own) or _contained_name(resource, reference, names)


def own_name(resource: dict) -> str:
    """A Practitioner's official (else first usable) name; an Organization's or a CareTeam's name."""
    if resource.get("resourceType") == "Practitioner":
        return clean_name(human_name(resource.get("name")))
    if resource.get("resourceType") in ("Organization", "CareTeam"):
        return clean_name(resource.get("name"))
    return ""


def clean_name(value) -> str:
    """A display string that is a name, safe to show and bounded; "" for a reference, a URL or no string."""
    name = display_text(value, el.TEXT_LIMIT)
    return "" if _NOT_A_NAME.fullmatch(name) else name


def _role_name(role: dict, names: Mapping[str, str], *, resource: dict) -> str:
    """A role named after its practitioner (included, contained in `resource`, or the display), else after
    its organization."""
    for part in (role.get("practitioner"), role.get("organization")):
        key = el.reference_key(part)
        own = part.get("display") if isinstance(part, dict) else None
        name = names.get(key, "") or own_name(el.contained(resource, part)) or clean_name(own)
        if name:
            return name
    return ""


def _contained_name(resource: dict, reference, names: Mapping[str, str]) -> str:
    found = el.contained(resource, reference)
    if found.get("resourceType") == "PractitionerRole":
        return _role_name(found, names, resource=resource)
    return own_name(found)
