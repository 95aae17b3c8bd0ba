"""Signing in to the sandbox as one of its users (a practitioner, a patient, a care coordinator)."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from smartapp.sandbox.form_token import form_token_required
from smartapp.sandbox.middleware import PATH, sign_in, sign_out
from smartapp.sandbox.models import SandboxIdentity


@require_http_methods(["GET", "POST"])
def login(request):
    """GET: the list of sandbox users, by role. POST `identity` (and `next`): sign in as that user."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST":
        identity = (
            SandboxIdentity.objects.select_related("user")
            .filter(pk=_int_or_none(request.POST.get("identity")), user__is_active=True)
            .first()
        )
        if identity is not None:
            response = redirect(next_url if _is_safe(next_url) else reverse("sandbox_auth:login"))
            sign_in(response, identity.user)
            return response
    return render(
        request,
        "sandbox/auth/login.html",
        {
            "groups": identities_by_role(),
            "next": next_url,
            "current": SandboxIdentity.objects.filter(user_id=request.user.pk).first(),
            "refused": request.method == "POST",
        },
        status=400 if request.method == "POST" else 200,
    )


@form_token_required  # its forms sit on the simulator page, whose Django CSRF token a launch rotates
@require_POST
def logout(request):
    response = redirect(reverse("sandbox_auth:login"))
    sign_out(response)
    return response


def identities_by_role() -> list[tuple[str, list[SandboxIdentity]]]:
    identities = SandboxIdentity.objects.select_related("user").filter(user__is_active=True)
    groups = []
    for role in SandboxIdentity.Role:
        members = sorted((i for i in identities if i.role == role), key=lambda i: i.fhir_user)
        if members:
            groups.append((role.label, members))
    return groups


def _is_safe(url: str) -> bool:
    """Only a path inside the sandbox: sign-in is only ever sent back to the sandbox's own pages (its
    authorize endpoint), so an absolute URL, even to this host, is refused (never an open redirect)."""
    return url.startswith(PATH) and url_has_allowed_host_and_scheme(url, allowed_hosts=set())


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
