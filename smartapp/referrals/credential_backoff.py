"""Refused Backend Services credentials: recorded, shown, and not tried again every 15 minutes.

When the EHR's token endpoint refuses the app's client (`invalid_client`, `unauthorized_client`: a key
the EHR does not know, a client it disabled), asking again with the same credentials only hammers it and
fills its security log. So the refusal is kept on the connection's SyncClaim row with a fingerprint of
the credentials used (backend client id, issuer, token auth, the app's signing key id), and syncs of the
connection are skipped for REFERRAL_SYNC_REFUSED_BACKOFF_HOURS (default 24) unless
- the credentials changed (another client id or key: the fingerprint differs), or
- an admin clears the refusal (the "Sync claims" admin), or
- the backoff has passed (one attempt then; a new refusal starts another backoff).
A run that obtains a token clears the refusal. The worklist and the admin show "Sync credentials refused
since <time>".
"""

import hashlib
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from smartapp.ehr import app_keys
from smartapp.ehr.configs import LaunchConfig
from smartapp.ehr.errors import LaunchRejected

from .credentials import SyncNotPossible
from .models import SyncClaim

REFUSALS = frozenset({"invalid_client", "unauthorized_client"})  # RFC 6749 §5.2
DEFAULT_BACKOFF_HOURS = 24


class CredentialsRefused(SyncNotPossible):
    """Permanent until fixed: the EHR refused these credentials recently. A fixed message, no PHI."""

    def __init__(self):
        super().__init__(
            "The EHR refused this registration's Backend Services credentials: syncs wait until they "
            "change or an admin clears the refusal."
        )


def is_refusal(error: BaseException) -> bool:
    """Whether `error` is the EHR refusing the client itself (not a transient or a scope problem)."""
    return isinstance(error, LaunchRejected) and error.reason in REFUSALS


def credentials_fingerprint(config: LaunchConfig) -> str:
    """A hash of what the sync authenticates with: changes when the registration or the key does."""
    backend = config.as_backend() or config
    kids = sorted(key.get("kid", "") for key in app_keys.public_jwks()["keys"])
    parts = [backend.name, backend.client_id, backend.issuer, backend.client_auth, kids]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def credentials_refused_record(config: LaunchConfig) -> None:
    """Keep the refusal. A refusal of the same credentials within the backoff keeps the first one's time
    ("since" means since); after it, or for other credentials, the backoff starts again."""
    SyncClaim.objects.bulk_create([SyncClaim(connection=config.name)], ignore_conflicts=True)
    fingerprint, now = credentials_fingerprint(config), timezone.now()
    rows = SyncClaim.objects.filter(connection=config.name)
    rows.exclude(credentials_fingerprint=fingerprint, credentials_refused_at__gte=now - backoff()).update(
        credentials_refused_at=now, credentials_fingerprint=fingerprint
    )


def credentials_refused_since(config: LaunchConfig) -> datetime | None:
    """When the EHR refused these very credentials, if a sync must still wait; else None."""
    row = SyncClaim.objects.filter(connection=config.name, credentials_refused_at__isnull=False).first()
    if row is None or row.credentials_refused_at < timezone.now() - backoff():
        return None
    return (
        row.credentials_refused_at if row.credentials_fingerprint == credentials_fingerprint(config) else None
    )


def credentials_refusal_clear(*, connection: str) -> int:
    """Forget a refusal (a token was obtained, or an admin says the credentials are fixed)."""
    return SyncClaim.objects.filter(connection=connection, credentials_refused_at__isnull=False).update(
        credentials_refused_at=None, credentials_fingerprint=""
    )


def refused_connections(connections) -> dict[str, datetime]:
    """{connection: refused since} for those of `connections` whose credentials were refused."""
    rows = SyncClaim.objects.filter(connection__in=list(connections), credentials_refused_at__isnull=False)
    return dict(rows.order_by("connection").values_list("connection", "credentials_refused_at"))


def backoff() -> timedelta:
    hours = getattr(settings, "REFERRAL_SYNC_REFUSED_BACKOFF_HOURS", DEFAULT_BACKOFF_HOURS)
    return timedelta(hours=float(hours))
