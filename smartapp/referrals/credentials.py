"""With what a sync reads an EHR: its SMART Backend Services client, else a coordinator's offline grant.

Backend Services (a fresh signed assertion and a short-lived system token, ehr/backend_services.py) is
the way. Where an EHR registration has no `[backend]` client, a care coordinator who signed in with
`offline_access` leaves a refresh token behind (launch/grants.py); the sync may use that grant, through
the same single-flight refresh as the web, and reads what that coordinator may read (user/ scopes).
"""

from django.db.models import Q

from smartapp.ehr.backend_services import system_client
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.fhir import EhrClient
from smartapp.launch.grants import grant_access_token, grant_renewed_token
from smartapp.launch.models import Launch


class SyncNotPossible(Exception):
    """Permanent: nothing the sync can read this EHR with. Fixed messages, no PHI."""


NO_CREDENTIALS = (
    "This EHR registration has no Backend Services client and no coordinator granted offline access: "
    "add a [backend] table to its launch config, or have a coordinator sign in once."
)
NO_ISSUER = "This EHR registration has an issuer pattern: a background sync needs a fixed issuer."


def sync_client(config: LaunchConfig, *, max_pages: int) -> EhrClient:
    """An EhrClient for a background sync of `config`'s EHR; SyncNotPossible when there is none."""
    if config.as_backend() is not None:
        if not config.issuer:
            raise SyncNotPossible(NO_ISSUER)
        return system_client(config, max_pages=max_pages)
    launch = offline_launch(config.name)
    if launch is None:
        raise SyncNotPossible(NO_CREDENTIALS)
    return EhrClient(
        base_url=launch.issuer,
        access_token=grant_access_token(launch),
        max_pages=max_pages,
        renew_token=lambda stale: grant_renewed_token(launch, stale=stale),
    )


def can_sync(config: LaunchConfig) -> bool:
    """Whether a background sync of `config` has something to read the EHR with."""
    if config.as_backend() is not None:
        return bool(config.issuer)
    return offline_launch(config.name) is not None


def offline_launch(connection: str) -> Launch | None:
    """The newest coordinator launch of `connection` whose grant still holds a usable refresh token."""
    usable = Q(grant__relaunch_needed=False) & ~Q(grant__refresh_token="")
    return (
        Launch.objects.filter(usable, config_name=connection, persona="coordinator")
        .filter(scope__contains="offline_access")
        .order_by("-created_at")
        .first()
    )
