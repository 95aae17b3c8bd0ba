"""The clinician and patient roles, and the default deny for views that declare no role (core/roles.py).

A clinician or a patient is someone whose launch, in this browser, is of that persona: the role is
proven per launch by the EHR (launch/complete.py `_role`), so the check is launch_for's, on the launch
named in the URL. The Django groups of the same names record which roles a user has held; a group alone
opens nothing (docs/security.md "Roles").
"""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from smartapp.audit.services import audit_record
from smartapp.core.roles import required_roles
from smartapp.launch.access import launch_for

# Views outside the app: Django's admin (staff sign-in of its own) and the built-in sandbox EHR.
OUTSIDE_MODULES = ("smartapp.sandbox.",)


def launch_role_check(request, roles: tuple[str, ...], view_kwargs: dict) -> None:
    """The gate of the clinician and patient roles: the URL's launch is this browser's, of `roles`."""
    if "launch_id" not in view_kwargs:
        raise ImproperlyConfigured("a clinician or patient view names its launch in the URL (launch_id)")
    launch_for(request, view_kwargs["launch_id"], roles=roles)


def is_app_view(view) -> bool:
    module = getattr(view, "__module__", "") or ""
    return module.startswith("smartapp.") and not module.startswith(OUTSIDE_MODULES)


class RoleDeclaredMiddleware:
    """Default deny: an app view that declares no role (@requires_role or @public) is refused (403).

    The URL inventory test fails for such a view first; this keeps one from shipping open anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_app_view(view_func) and required_roles(view_func) is None:
            view = f"{view_func.__module__}.{getattr(view_func, '__name__', '?')}"
            detail = {"view": view}
            audit_record(action="access.denied", outcome="no_role_declared", request=request, detail=detail)
            raise PermissionDenied("This page declares no role.")
        return None
