"""Whether a vendor would accept a search: the app asks before it sends (STYLE.md convention 11).

A strict server answers 400 to a parameter it does not support rather than ignoring it (Oracle Health:
https://fhir.cerner.com/millennium/r4/ lists per resource which parameters are accepted and which are
required), so every query the app builds (sync and chart) is checked against the vendor's table.
"""

from smartapp.ehr.profiles.rules import VendorRules

# Result parameters, governed by their own rules rather than a type's `accepted` set.
_COUNT, _INCLUDE, _SORT = "_count", "_include", "_sort"
LAST_UPDATED_SORTS = frozenset({"_lastUpdated", "-_lastUpdated"})


def query_problem(rules: VendorRules, resource_type: str, params) -> str | None:
    """Why the vendor would refuse a search of `resource_type` with `params` (name, value pairs), or
    None when it would take it. The answer names parameters only, never their values (which may be ids)."""
    rule = rules.search.get(resource_type)
    if rule is None:
        return f"{rules.vendor} cannot search {resource_type}"
    names = set()
    for name, value in params:
        base = name.split(":", 1)[0]  # `subject:Patient` is the `subject` parameter with a modifier
        names.add(base)
        if problem := _param_problem(rules, rule, resource_type, base, value):
            return problem
    for needed in rule.required:
        if not names & needed:
            return f"{rules.vendor} {resource_type} search needs one of {sorted(needed)}"
    return None


def _param_problem(rules: VendorRules, rule, resource_type: str, name: str, value: str) -> str | None:
    if name == _COUNT:
        if not str(value).isdigit() or int(value) > rules.max_count:
            return f"{rules.vendor} takes _count up to {rules.max_count}"
    elif name == _INCLUDE:
        if value not in rule.includes:
            return f"{rules.vendor} {resource_type} does not support this _include"
    elif name == _SORT:
        if not (rules.sorts_by_last_updated and value in LAST_UPDATED_SORTS):
            return f"{rules.vendor} does not sort {resource_type} searches"
    elif name not in rule.accepted:
        return f"{rules.vendor} {resource_type} search does not accept {name[:40]}"
    return None


def supported_includes(rules: VendorRules, resource_type: str, wanted) -> tuple[str, ...]:
    """The `_include` values among `wanted` that the vendor supports for `resource_type`, in order."""
    rule = rules.search.get(resource_type)
    return tuple(value for value in wanted if rule is not None and value in rule.includes)
