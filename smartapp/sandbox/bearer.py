"""Who is calling the sandbox FHIR API: the bearer token, its scopes and its SMART context."""

import hashlib
from dataclasses import dataclass

from oauth2_provider.models import get_access_token_model

from smartapp.sandbox import faults
from smartapp.sandbox.smart_scopes import ClinicalScope, clinical_scopes


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


def bearer_for(request) -> Bearer:
    """Authenticate the request's `Authorization: Bearer` token, or raise BearerRejected."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise BearerRejected("missing bearer token")
    token = (
        get_access_token_model()
        .objects.select_related("application", "smart")
        .filter(token_checksum=_checksum(value.strip()))
        .first()
    )
    if token is None:
        raise BearerRejected("unknown token")
    client_id = token.application.client_id if token.application else ""
    injected = faults.active(request, client_id=client_id, kinds={faults.TOKEN_EXPIRED, faults.TOKEN_REVOKED})
    if token.is_expired() or faults.TOKEN_EXPIRED in injected:
        raise BearerRejected("token expired")
    if faults.TOKEN_REVOKED in injected:
        raise BearerRejected("token revoked")
    context = getattr(token, "smart", None)
    return Bearer(
        client_id=client_id,
        scopes=tuple(clinical_scopes(token.scope.split())),
        patient_id=context.patient_id if context else "",
        fhir_user=context.fhir_user if context else "",
    )


def _checksum(token_value: str) -> str:
    return hashlib.sha256(token_value.encode("utf-8")).hexdigest()
