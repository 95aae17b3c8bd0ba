"""Audit events about one launch: who (fhirUser, issuer, app user), which patient, which launch."""

from smartapp.audit.services import audit_record
from smartapp.launch.models import Launch


def audit_launch_event(request, launch: Launch, *, action: str, outcome: str, resource_types=(), detail=None):
    return audit_record(
        action=action,
        outcome=outcome,
        request=request,
        user_id=launch.user_id,
        fhir_user=launch.fhir_user,
        issuer=launch.issuer,
        launch_id=launch.pk,
        patient_ref=launch.patient_id,
        resource_types=resource_types,
        detail=detail,
    )
