"""The launch context an authorization request asks for: an EHR launch's, or a standalone launch's.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
"""

from django.utils import timezone

from smartapp.sandbox.auth.context import SmartContext
from smartapp.sandbox.base_url import auth_url
from smartapp.sandbox.housekeeping import LAUNCH_LIFETIME
from smartapp.sandbox.models import LaunchContext, Resource, SandboxIdentity


class LaunchRefused(Exception):
    """The request's launch context cannot be granted; `description` goes back to the client."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


def resolve(request, scopes, *, chosen_patient: str = "") -> SmartContext | None:
    """The context for the signed-in sandbox user, or None when a patient must be picked first."""
    identity = SandboxIdentity.objects.filter(user=request.user).first()
    launch_value = request.GET.get("launch", "")
    if launch_value:
        return _ehr_launch(request, launch_value, identity)
    if "launch" in scopes:
        raise LaunchRefused("the launch scope needs the launch parameter of an EHR launch")
    return _standalone_launch(request, scopes, identity, chosen_patient)


def launch_user(value: str):
    """The user an unused, unexpired EHR launch was made for, or None."""
    earliest = timezone.now() - LAUNCH_LIFETIME
    launch = LaunchContext.objects.filter(launch=value, used_at__isnull=True, created_at__gte=earliest)
    row = launch.select_related("user").first() if value else None
    return row.user if row is not None and row.user.is_active else None


def default_style_url(request) -> str:
    return auth_url(request, "smart-style.json")


def _ehr_launch(request, value: str, identity) -> SmartContext:
    now = timezone.now()
    launch = LaunchContext.objects.filter(launch=value).first()
    # Someone else's launch is answered like an unknown one: its existence is not the caller's business.
    if launch is None or launch.user_id != request.user.pk:
        raise LaunchRefused("unknown launch")
    if launch.created_at < now - LAUNCH_LIFETIME:
        raise LaunchRefused("launch expired")
    # One conditional UPDATE, so that two concurrent uses cannot both win.
    if not LaunchContext.objects.filter(pk=launch.pk, used_at__isnull=True).update(used_at=now):
        raise LaunchRefused("launch already used")
    return SmartContext(
        patient_id=launch.patient_id,
        encounter_id=launch.encounter_id,
        fhir_user=identity.fhir_user if identity else "",
        need_patient_banner=launch.need_patient_banner,
        smart_style_url=launch.smart_style_url or default_style_url(request),
    )


def _standalone_launch(request, scopes, identity, chosen_patient: str) -> SmartContext | None:
    def context(patient_id: str = "") -> SmartContext:
        return SmartContext(
            patient_id=patient_id,
            fhir_user=identity.fhir_user if identity else "",
            need_patient_banner=True,
            smart_style_url=default_style_url(request),
        )

    if "launch/patient" not in scopes:
        return context()
    if identity is not None and identity.role == SandboxIdentity.Role.PATIENT:
        return context(identity.fhir_user.removeprefix("Patient/"))
    if not chosen_patient:
        return None
    if not Resource.objects.filter(resource_type="Patient", fhir_id=chosen_patient).exists():
        raise LaunchRefused("unknown patient")
    return context(chosen_patient)
