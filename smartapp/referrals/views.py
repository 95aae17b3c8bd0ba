"""The care coordinator's pages. Only for users who signed in as a coordinator in this browser."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from smartapp.audit.services import audit_record
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.models import Launch


def coordinator_launch(request) -> Launch:
    """This browser's newest open coordinator launch; 403 for anyone else."""
    launch = (
        Launch.objects.filter(
            pk__in=request.session.get(SESSION_LAUNCHES, []),
            user_id=request.user.pk,
            persona="coordinator",
            ended_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
        if request.user.is_authenticated
        else None
    )
    if launch is None:
        audit_record(action="access.denied", outcome="not_coordinator", request=request)
        raise PermissionDenied("Only care coordinators can see this page.")
    return launch


@never_cache
@require_GET
def worklist(request):
    launch = coordinator_launch(request)
    response = render(request, "referrals/worklist.html", {"launch": launch})
    response["Cache-Control"] = "no-store"
    return response
