"""Who may use each view: every app view declares its roles, and what declares none is refused.

HIPAA 45 CFR 164.312(a)(1) access control (SECURITY.md 4): `@requires_role("clinician", "patient")` or
`@public` on each view. The declaration is recorded on the view function (`required_roles`), where the URL
inventory (tests/security/test_roles.py) and the default-deny middleware (launch/roles.py) read it.

`requires_role` also enforces: before the view runs, the check registered for its roles must let the
request through. The checks belong to the modules that know what a role means here (launch: the launch in
the URL is this browser's and this user's, of one of the roles; referrals: an open coordinator launch;
audit: an auditor), are registered at startup (AppConfig.ready) and are the same calls the views make, so a
refusal is the same 403 or 404 with the same `access.denied` audit event. core knows none of them, and a
role without a registered check fails loudly rather than letting the request through.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404

ROLES = ("clinician", "patient", "coordinator", "admin")
PUBLIC = "public"  # the pseudo-role of pages anyone may open (the launch itself, the app's public keys)

# check(request, roles, view_kwargs): returns to let the request through, raises PermissionDenied or Http404
# (after auditing the refusal) to refuse it. `roles` are the view's roles that this check covers.
RoleCheck = Callable[..., None]
_CHECKS: dict[str, RoleCheck] = {}


def register_role_check(roles: Iterable[str], check: RoleCheck) -> None:
    """Make `check` the gate of each of `roles` (called from an AppConfig.ready)."""
    for role in roles:
        if role not in ROLES:
            raise ImproperlyConfigured(f"unknown role {role!r}")
        _CHECKS[role] = check


def required_roles(view) -> frozenset[str] | None:
    """The roles `view` declared ({"public"} for a public view), or None when it declared none."""
    return getattr(view, "required_roles", None)


def public(view):
    """View decorator: anyone may open this page, signed in or not."""
    view.required_roles = frozenset({PUBLIC})
    return view


def requires_role(*roles: str):
    """View decorator: only a request holding one of `roles` reaches the view (403/404 otherwise)."""
    if not roles or any(role not in ROLES for role in roles):
        raise ImproperlyConfigured(f"requires_role takes one or more of {ROLES}, not {roles}")

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            role_check(request, roles, kwargs)
            return view(request, *args, **kwargs)

        checked.required_roles = frozenset(roles)
        return checked

    return decorate


def role_check(request, roles: tuple[str, ...], view_kwargs: dict) -> None:
    """Let the request through when one check of `roles` does; else raise the first refusal.

    Roles sharing a check are asked together (clinician or patient: one launch lookup, one audit event).
    """
    by_check: dict[RoleCheck, list[str]] = {}
    for role in roles:
        if role not in _CHECKS:
            raise ImproperlyConfigured(f"no check is registered for the role {role!r}")
        by_check.setdefault(_CHECKS[role], []).append(role)
    refusal = None
    for check, covered in by_check.items():
        try:
            check(request, tuple(covered), view_kwargs)
            return
        except (PermissionDenied, Http404) as error:
            refusal = refusal or error
    raise refusal
