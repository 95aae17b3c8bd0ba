"""A launch's tokens: stored encrypted, refreshed shortly before they expire or when the EHR refuses the
access token (a FHIR 401), once at a time.

Refresh is single-flight: one worker claims it with a conditional UPDATE (STYLE.md convention 3) and
asks the EHR without holding a database lock; the others wait for its result. A rotating refresh token
is therefore never spent twice (SMART best practices), and a refresh that fails is never blindly retried
(SECURITY.md 5.2). A refresh the EHR answers `invalid_grant` (or `invalid_client`, `unauthorized_client`)
ends the grant for good: its tokens are deleted and the launch closed, audited.
"""

import hmac
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from smartapp.core import crypto
from smartapp.ehr import configs, token_endpoint
from smartapp.ehr.errors import EhrAuthExpired, EhrError, EhrUnavailable
from smartapp.ehr.profiles import profile_for
from smartapp.launch.events import audit_launch_event
from smartapp.launch.models import Grant, Launch

REFRESH_MARGIN = timedelta(seconds=60)
CLAIM_LIFETIME = timedelta(seconds=30)  # longer than a token request's connect + read timeouts
WAIT_FOR_OTHER_REFRESH = 15.0  # seconds
# RFC 6749 §5.2: the refresh token, or the client itself, is no longer accepted: no later refresh can work
DEAD_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


def _bound(grant_or_launch_id) -> str:
    return f"grant:{grant_or_launch_id}"


@sensitive_variables("tokens")
def grant_store(launch: Launch, tokens, *, token_endpoint: str, revocation_endpoint: str) -> Grant:
    return Grant.objects.create(
        launch=launch,
        access_token=crypto.encrypt(tokens.access_token, bound_to=_bound(launch.pk)),
        refresh_token=crypto.encrypt(tokens.refresh_token, bound_to=_bound(launch.pk))
        if tokens.refresh_token
        else "",
        expires_at=timezone.now() + timedelta(seconds=max(tokens.expires_in, 0)),
        token_endpoint=token_endpoint,
        revocation_endpoint=revocation_endpoint,
    )


class _Unusable(Exception):
    """The grant cannot give a token any more: the user has to launch again."""

    def __init__(self, outcome: str, *, dead: bool = False):
        self.outcome = outcome
        self.dead = dead  # the EHR refused the grant itself: forget it


def grant_access_token(launch: Launch) -> str:
    """A usable access token for `launch`, refreshing it first when it is about to expire.

    EhrAuthExpired when the user has to launch again (no refresh token, or the EHR refused it);
    EhrUnavailable when another worker's refresh did not finish in time.
    """

    def unexpired(grant: Grant) -> str | None:
        if grant.expires_at - REFRESH_MARGIN > timezone.now():
            return _decrypt(grant.access_token, launch)
        return None

    return _or_relaunch(launch, unexpired)


@sensitive_variables("stale")
def grant_renewed_token(launch: Launch, *, stale: str) -> str:
    """A new access token for `launch` after the EHR refused `stale` (a FHIR 401 before it expired).

    Refreshed once for everyone: when the stored token is no longer `stale`, another request has renewed it
    and that token is returned; otherwise one caller claims the refresh and the others wait for its token.
    EhrAuthExpired when the user has to launch again; EhrUnavailable when the refresh could not be had now.
    """

    @sensitive_variables("token")
    def renewed(grant: Grant) -> str | None:
        token = _decrypt(grant.access_token, launch)
        return None if hmac.compare_digest(token.encode(), stale.encode()) else token

    return _or_relaunch(launch, renewed)


def _or_relaunch(launch: Launch, usable) -> str:
    try:
        return _single_flight(launch, usable)
    except _Unusable as unusable:
        if unusable.dead:
            _grant_forget(launch, unusable.outcome)
        else:
            Grant.objects.filter(launch=launch).update(relaunch_needed=True, refresh_claimed_until=None)
            _audit_refresh(launch, unusable.outcome)
        raise EhrAuthExpired() from None


def _single_flight(launch: Launch, usable) -> str:
    """`usable(grant)`: the stored token when it may be used; else the token of one refresh for all."""
    deadline = time.monotonic() + WAIT_FOR_OTHER_REFRESH
    while True:
        grant = Grant.objects.filter(launch=launch).first()
        if grant is None or grant.relaunch_needed:
            raise EhrAuthExpired()
        if (token := usable(grant)) is not None:
            return token
        if not grant.refresh_token:
            raise _Unusable("no_refresh_token")
        if _claim(grant):
            return _refresh(grant, launch)
        if time.monotonic() > deadline:
            raise EhrUnavailable()
        time.sleep(0.1)


def _claim(grant: Grant) -> bool:
    """Claim the refresh with a conditional UPDATE (no lock is held while the EHR is asked)."""
    now = timezone.now()
    unclaimed = Q(refresh_claimed_until__isnull=True) | Q(refresh_claimed_until__lt=now)
    return bool(
        Grant.objects.filter(unclaimed, pk=grant.pk, expires_at=grant.expires_at).update(
            refresh_claimed_until=now + CLAIM_LIFETIME
        )
    )


@sensitive_variables("tokens", "refresh_token")
def _refresh(grant: Grant, launch: Launch) -> str:
    config = configs.by_name(launch.config_name)
    refresh_token = _decrypt(grant.refresh_token, launch)
    try:
        tokens = token_endpoint.refresh(
            config, token_endpoint=grant.token_endpoint, refresh_token=refresh_token
        )
    except EhrAuthExpired as refused:
        if refused.reason in DEAD_GRANT_ERRORS:
            raise _Unusable(refused.reason, dead=True) from None
        raise _Unusable("expired") from None
    except EhrError:
        Grant.objects.filter(pk=grant.pk).update(refresh_claimed_until=None)
        _audit_refresh(launch, "failed")
        raise
    grant.access_token = crypto.encrypt(tokens.access_token, bound_to=_bound(launch.pk))
    if tokens.refresh_token or not profile_for(config).keeps_refresh_token_on_refresh:
        new_refresh = tokens.refresh_token
        grant.refresh_token = crypto.encrypt(new_refresh, bound_to=_bound(launch.pk)) if new_refresh else ""
    grant.expires_at = timezone.now() + timedelta(seconds=max(tokens.expires_in, 0))
    grant.refreshed_at = timezone.now()
    grant.refresh_claimed_until = None
    grant.save()
    _audit_refresh(launch, "success")
    return tokens.access_token


def _audit_refresh(launch: Launch, outcome: str, detail=None) -> None:
    audit_launch_event(None, launch, action="token.refresh", outcome=outcome, detail=detail)


def _grant_forget(launch: Launch, outcome: str) -> None:
    """The EHR refused the grant itself: delete its encrypted tokens and close the launch, audited with it.

    Nothing is revoked at the EHR: it has just said the grant is no longer one."""
    with transaction.atomic():
        Grant.objects.filter(launch=launch).delete()
        Launch.objects.filter(pk=launch.pk, ended_at__isnull=True).update(ended_at=timezone.now())
        _audit_refresh(launch, outcome, detail={"grant": "deleted", "launch": "ended"})


def _decrypt(ciphertext: str, launch: Launch) -> str:
    try:
        return crypto.decrypt(ciphertext, bound_to=_bound(launch.pk))
    except crypto.DecryptionFailed:
        # An unknown key or a tampered row: unusable, never a 500. The user launches again.
        raise _Unusable("undecryptable") from None


@sensitive_variables("token")
def grant_end(launch: Launch) -> None:
    """Revoke at the EHR where it offers revocation (best effort), then delete the tokens here."""
    grant = Grant.objects.filter(launch=launch).first()
    if grant is None:
        return
    config = configs.by_name(launch.config_name)
    if grant.revocation_endpoint and config is not None:
        for ciphertext, hint in (
            (grant.refresh_token, "refresh_token"),
            (grant.access_token, "access_token"),
        ):
            try:
                token = _decrypt(ciphertext, launch) if ciphertext else ""
                if token:
                    token_endpoint.revoke(
                        config,
                        revocation_endpoint=grant.revocation_endpoint,
                        token=token,
                        token_type_hint=hint,
                    )
            except (EhrError, _Unusable):
                pass  # the local tokens are deleted below either way
    grant.delete()
