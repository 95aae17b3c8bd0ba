"""A vendor's rules as data, each next to the public document it comes from (STYLE.md convention 11).

The sandbox's vendor emulation keeps its own table of the same shape (smartapp/sandbox/vendors/); the two
never import each other, and tests/test_vendor_tables.py compares them field by field.
"""

from dataclasses import dataclass, field, fields

POPULATION_STRATEGIES = ("system_search", "bulk_export", "per_patient")
BULK_PARAMS = frozenset({"_type", "_since", "_typeFilter"})


@dataclass(frozen=True)
class SearchRule:
    """What one resource type's search takes: accepted parameters, required ones, `_include`s."""

    accepted: frozenset[str]
    required: tuple[frozenset[str], ...] = ()  # each set: at least one of its parameters must be given
    includes: frozenset[str] = frozenset()
    source: str = ""


@dataclass(frozen=True)
class VendorRules:
    vendor: str
    search: dict[str, SearchRule]  # a type absent here cannot be searched
    max_count: int
    default_count: int
    population: str
    bulk_params: frozenset[str]
    sorts_by_last_updated: bool
    refresh_rotates: bool
    advertises_pkce: bool
    client_credentials: bool
    fhir_user_absolute: bool
    scope_grammar: str
    tenant_scoped: bool
    separate_auth_host: bool
    binary_exact_accept: bool
    sources: dict[str, str] = field(default_factory=dict)  # field name -> URL or "assumption: ..."

    def __post_init__(self):
        if self.population not in POPULATION_STRATEGIES:
            raise ValueError(f"population must be one of {POPULATION_STRATEGIES}")
        if not self.bulk_params <= BULK_PARAMS:
            raise ValueError(f"bulk_params must be a subset of {sorted(BULK_PARAMS)}")


def rule_fields() -> tuple[str, ...]:
    """The fields every table must give a source for."""
    return tuple(f.name for f in fields(VendorRules) if f.name not in ("vendor", "sources"))


def search_rule(accepted: str, *required: str, includes: str = "", source: str = "") -> SearchRule:
    """A SearchRule written the way vendor pages list parameters: space-separated names.

    `search_rule("_id patient status", "_id patient")` accepts three parameters and needs `_id` or
    `patient`; each further positional string is another "at least one of these" set.
    """
    return SearchRule(
        accepted=frozenset(accepted.split()),
        required=tuple(frozenset(names.split()) for names in required),
        includes=frozenset(includes.split()),
        source=source,
    )
