"""Who is calling the sandbox FHIR API: the bearer token, its scopes and its SMART context."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from smartapp.sandbox import faults
from smartapp.sandbox.base_url import vendor_of
from smartapp.sandbox.smart_scopes import ClinicalScope, clinical_scopes

_TOKEN_FAULTS = frozenset({faults.TOKEN_EXPIRED, faults.TOKEN_REVOKED})


class BearerRejected(Exception):
    """The request's token is missing, unknown, expired or revoked (answered with 401)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Bearer:
    client_id: str
    scopes: tuple[ClinicalScope, ...]
    patient_id: str  # "" unless the token is bound to one patient
    fhir_user: str

    def levels_for(self, resource_type: str, permission: str = "r") -> set[str]:
        """The scope levels (patient, user, system) that let this token do `permission` on the type."""
        return {s.level for s in self.scopes if s.covers(resource_type, permission)}


def bearer_for(request, *, fault_kinds=frozenset()) -> tuple[Bearer, dict[str, str]]:
    """Authenticate the request's `Authorization: Bearer` token, or raise BearerRejected.

    Also returns the faults among `fault_kinds` in force for the token's client: one fault lookup per
    request, shared with the token's own faults (expired, revoked).
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise BearerRejected("missing bearer token")
    # Plain values, not three model instances: this runs on every FHIR request.
    token = (
        get_access_token_model()
        .objects.filter(token_checksum=_checksum(value.strip()))
        .values(
            "expires",
            "scope",
            "application__client_id",
            "smart__patient_id",
            "smart__fhir_user",
            "smart__vendor",
            "smart__tenant",
        )
        .first()
    )
    if token is None:
        raise BearerRejected("unknown token")
    # A token reads only the FHIR base (vendor emulation and tenant) whose authorization server issued it.
    if (token["smart__vendor"] or "", token["smart__tenant"] or "") != vendor_of(request):
        raise BearerRejected("token not issued for this FHIR base")
    client_id = token["application__client_id"] or ""
    injected = faults.active(request, client_id=client_id, kinds=_TOKEN_FAULTS | fault_kinds)
    if token["expires"] <= timezone.now() or faults.TOKEN_EXPIRED in injected:
        raise BearerRejected("token expired")
    if faults.TOKEN_REVOKED in injected:
        raise BearerRejected("token revoked")
    bearer = Bearer(
        client_id=client_id,
        scopes=tuple(clinical_scopes(token["scope"].split())),
        patient_id=token["smart__patient_id"] or "",
        fhir_user=token["smart__fhir_user"] or "",
    )
    return bearer, {kind: value for kind, value in injected.items() if kind in fault_kinds}


def _checksum(token_value: str) -> str:
    return hashlib.sha256(token_value.encode("utf-8")).hexdigest()
