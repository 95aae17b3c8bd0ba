"""A vendor emulation's API rules applied to one request: which types it serves, which search parameters
each takes and requires, `_include`, `_sort`, and `_lastUpdated` prefixes. Each refusal is a 400 (or 404
for a type the vendor does not serve) naming the parameter, never a value.

The plain sandbox ("") is not checked here: its catalog (smartapp/sandbox/fhir/catalog.py) is its rules.
"""

from dataclasses import dataclass

from smartapp.sandbox.fhir.catalog import PAGE_TOKEN
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.vendors import emulation_for, rules_for

_RESULT_PARAMS = frozenset({"_count", "_format", "_pretty"})
# Readable besides the searchable types: a Binary is read through its DocumentReference, never searched.
_READ_ONLY = frozenset({"Binary"})


@dataclass(frozen=True)
class Paging:
    """How a vendor base pages: sizes, the token's parameter name, and the scope tokens are bound to."""

    default_count: int
    max_count: int
    page_param: str
    token_scope: str


def paging(vendor: str, tenant: str) -> Paging:
    rules, emulation = rules_for(vendor), emulation_for(vendor)
    scope = f"{vendor}/{tenant}" if vendor else ""
    return Paging(rules.default_count, rules.max_count, emulation.page_param, scope)


def require_type(vendor: str, resource_type: str, *, read: bool) -> None:
    """404 for a type this vendor's base does not serve (for searching; reading also allows Binary)."""
    if not vendor:
        return
    served = set(rules_for(vendor).search) | (_READ_ONLY if read else set())
    if resource_type not in served:
        raise FhirError(404, f"Resource type not supported here: {resource_type[:64]}")


def search_params(vendor: str, resource_type: str, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Check a search against the vendor's table; return the parameters with the vendor's paging
    parameter renamed to the sandbox's own. The plain sandbox's parameters come back unchanged."""
    if not vendor:
        return params
    require_type(vendor, resource_type, read=False)
    page_param = emulation_for(vendor).page_param
    for name, value in params:
        if name != page_param:
            _check_param(vendor, resource_type, name, value)
    _check_required(vendor, resource_type, params)
    return [(PAGE_TOKEN if name == page_param else name, value) for name, value in params]


def _check_param(vendor: str, resource_type: str, name: str, value: str) -> None:
    rules, rule = rules_for(vendor), rules_for(vendor).search[resource_type]
    if name in _RESULT_PARAMS:
        return
    if name == "_include":
        if value not in rule.includes:
            raise FhirError(400, f"Unsupported _include for {resource_type}: {value[:64]}")
    elif name == "_sort":
        if not (rules.sorts_by_last_updated and value == "_lastUpdated"):
            raise FhirError(400, f"Unsupported search parameter for {resource_type}: _sort")
    elif name not in rule.accepted:
        raise FhirError(400, f"Unsupported search parameter for {resource_type}: {name[:64]}")
    elif name == "_lastUpdated":
        _check_last_updated(vendor, value)


def _check_last_updated(vendor: str, value: str) -> None:
    prefixes = emulation_for(vendor).last_updated_prefixes
    if prefixes and not (value[:2] in prefixes and "T" in value):
        allowed = " or ".join(prefixes)
        raise FhirError(400, f"_lastUpdated must be prefixed by {allowed} and include a time")


def _check_required(vendor: str, resource_type: str, params: list[tuple[str, str]]) -> None:
    given = {name for name, value in params if value}
    for group in rules_for(vendor).search[resource_type].required:
        if not group & given:
            names = ", ".join(sorted(group))
            raise FhirError(400, f"A {resource_type} search requires one of: {names}")
