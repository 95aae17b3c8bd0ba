"""Who may read the audit trail: the admin role (the `admin` group), or staff given the model's view
permission (audit.view_auditevent; superusers have it). Everyone else gets a 403, itself audited."""

from django.core.exceptions import PermissionDenied

from smartapp.audit.services import audit_record

AUDITOR_GROUP = "admin"
VIEW_PERMISSION = "audit.view_auditevent"


def is_auditor(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return (user.is_staff and user.has_perm(VIEW_PERMISSION)) or user.groups.filter(
        name=AUDITOR_GROUP
    ).exists()


def auditor_required(request) -> None:
    """PermissionDenied (403), after an `access.denied` event, unless the user may read the audit trail."""
    if not is_auditor(request.user):
        audit_record(action="access.denied", outcome="not_auditor", request=request, detail={"page": "audit"})
        raise PermissionDenied("Only auditors can see the audit trail.")


def auditor_check(request, roles, view_kwargs) -> None:
    """The gate of the admin role (core/roles.py)."""
    auditor_required(request)
