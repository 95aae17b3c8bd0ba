"""Recording audit events. Call inside the transaction of the action being audited."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from smartapp.audit import chain
from smartapp.audit.models import AuditEvent

_CHAIN_LOCK = 7_310_001  # pg_advisory_xact_lock key serializing appends on PostgreSQL


@transaction.atomic
def audit_record(
    *,
    action: str,
    outcome: str,
    request=None,
    user_id: int | None = None,
    fhir_user: str = "",
    issuer: str = "",
    launch_id: str = "",
    patient_ref: str = "",
    resource_types=(),
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. `detail` holds ids, counts and reason codes only, never PHI."""
    event = _event(
        action=action,
        outcome=outcome,
        request=request,
        user_id=user_id,
        fhir_user=fhir_user,
        issuer=issuer,
        launch_id=launch_id,
        patient_ref=patient_ref,
        resource_types=resource_types,
        detail=detail,
    )
    return _append([event])[0]


@transaction.atomic
def audit_record_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events, in order, under one chain lock and one read of the chain's head (a batch of
    inbound ADT messages, one event each). Each dict holds audit_record's keyword arguments."""
    return _append([_event(**fields) for fields in events]) if events else []


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    # No SELECT ... FOR UPDATE: it needs the UPDATE privilege, which production's role lacks
    # (docs/security.md). The lock above serializes appends; under READ COMMITTED this read, taken after
    # it, sees the event the previous holder committed.
    last = AuditEvent.objects.order_by("-seq").only("mac").first()
    prev_mac = last.mac if last else chain.GENESIS
    for event in events:
        event.prev_mac = prev_mac
        event.mac = prev_mac = chain.mac_for(event, prev_mac)
        event.save()  # one row at a time: the model refuses bulk writes (models.AppendOnlyQuerySet)
    return events


def _event(
    *,
    action: str,
    outcome: str,
    request=None,
    user_id: int | None = None,
    fhir_user: str = "",
    issuer: str = "",
    launch_id: str = "",
    patient_ref: str = "",
    resource_types=(),
    detail: dict | None = None,
) -> AuditEvent:
    return AuditEvent(
        ts=timezone.now(),
        action=action,
        outcome=outcome,
        user_id=user_id if user_id is not None else _request_user_id(request),
        fhir_user=fhir_user,
        issuer=issuer,
        launch_id=str(launch_id),
        patient_ref=patient_ref,
        resource_types=",".join(sorted(set(resource_types))),
        detail=detail or {},
        ip=_ip(request),
        user_agent=_user_agent(request),
        key_id=len(settings.AUDIT_HMAC_KEYS) - 1,  # keys are listed oldest first; the newest signs
    )


def _ip(request) -> str | None:
    # In the form the database gives back (PostgreSQL's inet rewrites IPv6), so the mac still matches.
    raw = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEvent._meta.get_field("ip").get_prep_value(raw or None)


def _user_agent(request) -> str:
    # A NUL would make PostgreSQL refuse the row, and with it the audited action.
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "").replace("\x00", "")[:200]


def _request_user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None
