"""A standalone launch asks who is signing in, every time (issue 11, item 14).

The simulator's EHR launch signs its practitioner in to the sandbox. A standalone launch that reused that
sign-in gave smartapp's "Sign in as a patient" a clinician, and "Sign in as a care coordinator" whoever had
launched last. Someone who presses "Sign in as a patient" expects the EHR to ask who they are, so the
sandbox does: a standalone authorization lists the sandbox users, and the one chosen travels in that
authorization's own posts (this page, then the patient picker), never in the sandbox's sign-in cookie.
An EHR launch still acts for the user the simulator signed in, as an EHR's own session would.
"""

from django.shortcuts import render

from smartapp.sandbox.auth.signin import identities_by_role
from smartapp.sandbox.models import SandboxIdentity

FIELD = "identity"


def is_standalone(request) -> bool:
    """An authorization request without an EHR launch's `launch` parameter."""
    return not request.GET.get("launch")


def chosen_identity(request) -> SandboxIdentity | None:
    """The sandbox user this authorization's form posted, or None."""
    value = request.POST.get(FIELD, "") if request.method == "POST" else ""
    if not value.isdigit():
        return None
    rows = SandboxIdentity.objects.select_related("user").filter(pk=int(value), user__is_active=True)
    return rows.first()


def identity_page(request, scopes, *, client_name: str):
    """ "Who is signing in?": the sandbox users by role, patients first when the app asks for a patient."""
    groups = identities_by_role()
    wants_patient = "launch/patient" in scopes
    if wants_patient:
        groups.sort(key=lambda group: group[0] != SandboxIdentity.Role.PATIENT.label)
    context = {"groups": groups, "wants_patient": wants_patient, "client_name": client_name}
    response = render(request, "sandbox/auth/who.html", context)
    response["Cache-Control"] = "no-store"
    return response
