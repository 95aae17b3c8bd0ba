"""Who may see which referrals: coordinators, of the EHR connections they signed in from in this browser.

A coordinator launch proves that the EHR named this person a care coordinator; it says nothing about
another EHR's patients. So every dashboard query is scoped to the connections (registration names) of this
browser's open coordinator launches, and a referral of any other connection is "not found".
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from smartapp.audit.services import audit_record
from smartapp.launch.complete import SESSION_LAUNCHES
from smartapp.launch.models import Launch

from .models import Referral


@dataclass(frozen=True)
class Coordinator:
    launch: Launch  # the newest open coordinator launch of this browser
    connections: tuple[str, ...]  # the registrations of all of them, sorted

    def audit(self, request, *, action: str, outcome: str, patient_ref: str = "", detail=None) -> None:
        """An audit event by this coordinator (the newest launch stands for who they are)."""
        audit_record(
            action=action,
            outcome=outcome,
            request=request,
            user_id=self.launch.user_id,
            fhir_user=self.launch.fhir_user,
            issuer=self.launch.issuer,
            launch_id=self.launch.pk,
            patient_ref=patient_ref,
            detail=detail,
        )


def coordinator_for(request) -> Coordinator:
    """This browser's open coordinator launches (one query); 403, audited, for anyone else."""
    launches = (
        list(
            Launch.objects.filter(
                pk__in=request.session.get(SESSION_LAUNCHES, []),
                user_id=request.user.pk,
                persona="coordinator",
                ended_at__isnull=True,
            ).order_by("-created_at")
        )
        if request.user.is_authenticated
        else []
    )
    if not launches:
        audit_record(action="access.denied", outcome="not_coordinator", request=request)
        raise PermissionDenied("Only care coordinators can see this page.")
    return Coordinator(launch=launches[0], connections=tuple(sorted({x.config_name for x in launches})))


def coordinator_check(request, roles, view_kwargs) -> None:
    """The gate of the coordinator role (core/roles.py): coordinator_for's refusal, or nothing."""
    coordinator_for(request)


def chart_launch_for(request, *, connection: str, patient_id: str) -> Launch | None:
    """An open clinician launch of this browser and user for this patient on this connection, if any: the
    only way to a chart, since a chart needs the EHR's launch context (SMART standalone launch lets the
    EHR's picker, not the app, choose the patient)."""
    if not patient_id:
        return None
    return (
        Launch.objects.filter(
            pk__in=request.session.get(SESSION_LAUNCHES, []),
            user_id=request.user.pk,
            persona="clinician",
            config_name=connection,
            patient_id=patient_id,
            ended_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )


def referral_for(request, coordinator: Coordinator, pk: int) -> Referral:
    """The referral `pk` of one of the coordinator's connections; 404, audited, for any other."""
    referral = Referral.objects.filter(pk=pk, connection__in=coordinator.connections).first()
    if referral is None:
        coordinator.audit(
            request, action="access.denied", outcome="referral_not_found", detail={"referral": pk}
        )
        raise Http404("No such referral.")
    return referral


def patient_id_of(referral: Referral) -> str:
    """The FHIR id of the referral's patient ("" when it has none): what audit events and the page show."""
    return referral.patient_ref.partition("/")[2]
