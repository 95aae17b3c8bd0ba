"""The plain sandbox's own rules, derived from its catalog: system search, every catalog parameter and
`_include`, SMART App Launch 2 in full (https://hl7.org/fhir/smart-app-launch/)."""

from smartapp.sandbox.fhir import catalog, search
from smartapp.sandbox.vendors.rules import SearchRule, VendorRules, rule_fields

_OWN = "assumption: the plain sandbox's own behaviour (docs/sandbox.md)"


def _search_rules() -> dict[str, SearchRule]:
    return {
        resource_type: SearchRule(
            accepted=frozenset(params),
            includes=frozenset(catalog.INCLUDES.get(resource_type, {})),
            source=_OWN,
        )
        for resource_type, params in catalog.SEARCH_PARAMS.items()
        if resource_type not in catalog.READ_ONLY
    }


RULES = VendorRules(
    vendor="",
    search=_search_rules(),
    max_count=search.MAX_COUNT,
    default_count=search.DEFAULT_COUNT,
    population="system_search",
    bulk_params=frozenset({"_type", "_since", "_typeFilter"}),
    sorts_by_last_updated=False,  # a `_sort` is a 400, like any parameter the catalog does not know
    refresh_rotates=True,
    advertises_pkce=True,
    client_credentials=True,
    # The sandbox has always issued an absolute fhirUser; the default app relies on nothing else.
    fhir_user_absolute=True,
    scope_grammar="v2",
    tenant_scoped=False,
    separate_auth_host=False,
    binary_exact_accept=False,
    sources={name: _OWN for name in rule_fields()},
)
