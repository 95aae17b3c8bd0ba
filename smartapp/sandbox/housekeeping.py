"""Removing what the sandbox's authorization server no longer needs."""

from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import clear_expired

from smartapp.sandbox.models import LaunchContext, UsedAssertion

LAUNCH_LIFETIME = timedelta(minutes=10)


def purge_expired() -> dict[str, int]:
    """Delete expired tokens and grants, stale launch contexts and expired assertion ids."""
    now = timezone.now()
    clear_expired()
    launches = LaunchContext.objects.filter(created_at__lt=now - LAUNCH_LIFETIME).delete()[0]
    assertions = UsedAssertion.objects.filter(expires_at__lt=now).delete()[0]
    return {"launches": launches, "assertions": assertions}
