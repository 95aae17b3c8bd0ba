"""Which SMART scopes a client may be granted, and the scopes backend django-oauth-toolkit asks."""

from oauth2_provider.scopes import BaseScopes

from smartapp.sandbox.smart_scopes import NON_CLINICAL, ClinicalScope, is_valid, parse_clinical

OFFLINE_SCOPES = frozenset({"offline_access", "online_access"})
_EXAMPLE_CLINICAL = (
    "patient/*.rs",
    "user/*.rs",
    "system/*.rs",
    "patient/*.read",
    "user/*.read",
    "system/*.read",
)


def scopes_permitted(scopes, *, client_credentials: bool, allowed: str = "") -> bool:
    """True when every scope is valid SMART, fits the grant, and is within the client's `allowed` scopes.

    Backend Services (client_credentials) may ask for `system/` scopes only, and user-facing grants
    never for `system/` ones. An empty request is refused: SMART clients always name their scopes.
    """
    scopes = list(scopes)
    if not scopes or not all(is_valid(s) for s in scopes):
        return False
    for scope in scopes:
        clinical = parse_clinical(scope)
        is_system = clinical is not None and clinical.level == "system"
        if is_system != client_credentials:
            return False
    limits = allowed.split()
    return not limits or all(_within(scope, limits) for scope in scopes)


def _within(scope: str, limits: list[str]) -> bool:
    if scope in limits:
        return True
    wanted = parse_clinical(scope)
    return wanted is not None and any(_covers(parse_clinical(limit), wanted) for limit in limits)


def _covers(limit: ClinicalScope | None, wanted: ClinicalScope) -> bool:
    return (
        limit is not None
        and limit.level == wanted.level
        and limit.resource_type in ("*", wanted.resource_type)
        and wanted.permissions <= limit.permissions
        and (not limit.query or limit.query == wanted.query)
    )


class _Descriptions(dict):
    """Scope descriptions for any SMART scope: the grammar is open-ended, so none is listed in advance."""

    def __missing__(self, scope: str) -> str:
        clinical = parse_clinical(scope)
        if clinical is None:
            return scope
        kind = "all resources" if clinical.resource_type == "*" else clinical.resource_type
        return f"{''.join(sorted(clinical.permissions))} on {kind} ({clinical.level} level)"


class SmartScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend; the real check is `scopes_permitted`, in the validator."""

    def get_all_scopes(self):
        return _Descriptions()

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        """A representative list, for discovery's `scopes_supported`."""
        return sorted(NON_CLINICAL) + list(_EXAMPLE_CLINICAL)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return []
