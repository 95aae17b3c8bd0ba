"""People by name: the Practitioner, PractitionerRole or Organization a reference (a note's author, an
allergy's recorder) points at, found among the resources a search `_include`d or among the resource's
contained ones. A reference that cannot be named is "", never its "Type/id": callers show a neutral mark.

Pure: the names are indexed once per chart (no lookup per note), and nothing here logs.
"""

from smartapp.chart import coding
from smartapp.chart.coding import SHORT_LIMIT

_HUMANS = frozenset({"Practitioner", "Patient", "RelatedPerson"})  # named by a HumanName list
_ROLE = "PractitionerRole"


def author_names(included) -> dict[str, str]:
    """Reference ("Practitioner/12", "PractitionerRole/7", "Organization/3") -> the name a reader sees."""
    return _index(included, local=False)


def note_author(document: dict, names: dict[str, str]) -> str:
    """The first author a reader can identify: the reference's display, else the name of the resource it
    points at (included or contained); "" when none can be named."""
    return first_named(document, document.get("author"), names)


def first_named(resource: dict, references, names: dict[str, str]) -> str:
    """The first of `references` (a Reference or a list of them, on `resource`) that can be named: its
    display, else the name of the included (`names`) or contained resource it points at; else ""."""
    candidates = _dicts(references if isinstance(references, list) else [references])
    local = _index(resource.get("contained"), local=True) if any(map(_is_local, candidates)) else {}
    named = (coding.text(r.get("display")) or _resolved(r, names, local) for r in candidates)
    return next((name for name in named if name), "")


def _index(resources, *, local: bool) -> dict[str, str]:
    """Names by reference key: "Type/id" for included resources, "#id" for contained ones."""
    keyed = [(key, r) for r in _dicts(resources) if (key := _key(r, local))]
    names: dict[str, str] = {}
    for key, resource in keyed:
        if name := _own_name(resource):
            names.setdefault(key, name)  # the same resource on two pages: the first copy wins
    for key, role in keyed:
        if role.get("resourceType") == _ROLE and (name := _role_name(role, names)):
            names.setdefault(key, name)
    return names


def _key(resource: dict, local: bool) -> str:
    resource_id = coding.text(resource.get("id"), SHORT_LIMIT)
    resource_type = coding.text(resource.get("resourceType"), SHORT_LIMIT)
    if not resource_id or not resource_type:
        return ""
    return f"#{resource_id}" if local else f"{resource_type}/{resource_id}"


def _own_name(resource: dict) -> str:
    if resource.get("resourceType") in _HUMANS:
        return coding.human_name(resource.get("name"))
    if resource.get("resourceType") == "Organization":
        return coding.text(resource.get("name"))
    return ""


def _role_name(role: dict, names: dict[str, str]) -> str:
    """A role is named after its practitioner: the one indexed alongside it, else the reference's display."""
    practitioner = role.get("practitioner") if isinstance(role.get("practitioner"), dict) else {}
    return names.get(_target(practitioner), "") or coding.text(practitioner.get("display"))


def _resolved(author: dict, names: dict[str, str], local: dict[str, str]) -> str:
    return local.get(_target(author), "") if _is_local(author) else names.get(_target(author), "")


def _target(reference: dict) -> str:
    """ "#p1" for a contained resource, else "Type/id"."""
    if _is_local(reference):
        return coding.text(reference.get("reference"), SHORT_LIMIT)
    return coding.reference_key(reference)


def _is_local(reference: dict) -> bool:
    value = reference.get("reference")
    return isinstance(value, str) and value.startswith("#")


def _dicts(resources) -> list[dict]:
    return [r for r in resources if isinstance(r, dict)] if isinstance(resources, (list, tuple)) else []
