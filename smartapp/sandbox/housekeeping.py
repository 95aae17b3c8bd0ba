"""Removing what the sandbox's authorization server no longer needs."""

from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import clear_expired

from smartapp.sandbox.models import ExportJob, LaunchContext, UsedAssertion

LAUNCH_LIFETIME = timedelta(minutes=10)
# A client that never deleted its export job: its files go after a day (the Bulk Data IG lets a server
# expire files; Oracle's are kept for a limited time too).
EXPORT_LIFETIME = timedelta(days=1)


def purge_expired() -> dict[str, int]:
    """Delete expired tokens and grants, stale launch contexts, expired assertion ids and day-old export
    jobs."""
    now = timezone.now()
    clear_expired()
    launches = LaunchContext.objects.filter(created_at__lt=now - LAUNCH_LIFETIME).delete()[0]
    assertions = UsedAssertion.objects.filter(expires_at__lt=now).delete()[0]
    exports = ExportJob.objects.filter(created_at__lt=now - EXPORT_LIFETIME).delete()[0]
    return {"launches": launches, "assertions": assertions, "exports": exports}
