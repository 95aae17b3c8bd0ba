"""Authorization requests in flight: `state`, PKCE verifier and nonce, kept server-side and used once.

The browser carries only `state`. The row is found by the state's hash, must belong to this browser
(a random binding kept in the server-side session, which survives the session-key rotation at login),
must be younger than ten minutes, and is deleted as it is read (RFC 9700 §2.1, §4.7; SMART App Launch).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smartapp.core import crypto
from smartapp.ehr.errors import LaunchRejected
from smartapp.launch.models import PendingAuthorization

LIFETIME = timedelta(minutes=10)
_BINDING_KEY = "launch_binding"


@dataclass(frozen=True)
class NewAuthorization:
    state: str
    code_challenge: str
    nonce: str


def browser_binding(request) -> str:
    """A random value tied to this browser's server-side session (created on first use)."""
    if _BINDING_KEY not in request.session:
        request.session[_BINDING_KEY] = secrets.token_urlsafe(32)
    return request.session[_BINDING_KEY]


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pending_create(request, **fields) -> NewAuthorization:
    """Store a pending authorization for this browser; return what goes into the authorization URL."""
    state, verifier, nonce = (secrets.token_urlsafe(32) for _ in range(3))  # >= 128 bits each (ASVS 11.5.1)
    state_hash = _hash(state)
    PendingAuthorization.objects.create(
        state_hash=state_hash,
        session_key=_hash(browser_binding(request)),
        nonce=nonce,
        code_verifier=crypto.encrypt(verifier, bound_to=f"pending:{state_hash}"),
        **fields,
    )
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return NewAuthorization(state=state, code_challenge=challenge, nonce=nonce)


def pending_pop(request, state: str) -> tuple[PendingAuthorization, str]:
    """The pending authorization for `state` and its code verifier; or LaunchRejected.

    The row is gone afterwards whatever the outcome: a state is never accepted twice.
    """
    if not state or len(state) > 200:
        raise LaunchRejected(reason="state_missing")
    row = _take(_hash(state))
    if row is None:
        raise LaunchRejected(reason="state_unknown")  # forged, or already used
    binding = request.session.get(_BINDING_KEY, "")
    if not binding or not hmac.compare_digest(row.session_key, _hash(binding)):
        raise LaunchRejected(reason="state_other_browser")
    if row.created_at < timezone.now() - LIFETIME:
        raise LaunchRejected(reason="state_expired")
    try:
        verifier = crypto.decrypt(row.code_verifier, bound_to=f"pending:{row.state_hash}")
    except crypto.DecryptionFailed:
        raise LaunchRejected(reason="state_unreadable") from None
    return row, verifier


@transaction.atomic
def _take(state_hash: str) -> PendingAuthorization | None:
    row = PendingAuthorization.objects.select_for_update().filter(state_hash=state_hash).first()
    if row is not None:
        PendingAuthorization.objects.filter(pk=row.pk).delete()
    return row


def pending_purge() -> int:
    """Delete authorizations that were never completed."""
    return PendingAuthorization.objects.filter(created_at__lt=timezone.now() - LIFETIME).delete()[0]
