"""Thin views of the launch: begin (EHR or standalone), callback, logout, the app's public keys."""

import logging

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.audit.services import audit_record
from smartapp.ehr import app_keys, configs
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrUnavailable, LaunchRejected
from smartapp.launch import begin, grants
from smartapp.launch.complete import SESSION_LAUNCHES, landing_url, launch_complete
from smartapp.launch.events import audit_launch_event
from smartapp.launch.models import Launch
from smartapp.launch.problems import problem_page, reason_for

log = logging.getLogger(__name__)


def _failed(request, error, *, action: str):
    reason = reason_for(error)
    log.info("launch step failed", extra={"action": action, "reason": reason})
    audit_record(action=action, outcome=reason, request=request)
    return problem_page(request, reason)


def _to_ehr(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
def ehr_launch(request):
    """/launch/?iss=...&launch=...: an EHR launch. The `iss` must be a registered EHR."""
    try:
        url = begin.launch_begin_ehr(
            request, iss=request.GET.get("iss", ""), launch=request.GET.get("launch", "")
        )
    except (LaunchRejected, EhrUnavailable, EhrBadResponse) as error:
        return _failed(request, error, action="launch.begin")
    return _to_ehr(url)


@never_cache
@require_POST
def standalone_launch(request, config_name: str):
    """/launch/<config>/ (POST from the home page's sign-in buttons): a standalone launch."""
    try:
        url = begin.launch_begin_standalone(
            request, config_name=config_name, persona=request.POST.get("as", "patient")
        )
    except (LaunchRejected, EhrUnavailable, EhrBadResponse) as error:
        return _failed(request, error, action="launch.begin")
    return _to_ehr(url)


@never_cache
@require_GET
def callback(request, config_name: str):
    """/callback/<config>/: the EHR's answer. Answers with a redirect so the code leaves the history."""
    try:
        launch = launch_complete(request, config_name=config_name, query=request.GET)
    except (LaunchRejected, EhrAuthExpired, EhrUnavailable, EhrBadResponse) as error:
        response = _failed(request, error, action="token.exchange")
    else:
        response = redirect(landing_url(launch))
    response["Referrer-Policy"] = "no-referrer"  # the code must not leak through a Referer (RFC 9700 §4.2.4)
    return response


@require_POST
def logout(request):
    """Revoke this browser's EHR tokens where the EHR allows it, end its launches, clear the session."""
    ids = request.session.get(SESSION_LAUNCHES, [])
    for launch in Launch.objects.filter(pk__in=ids, user_id=request.user.pk, ended_at__isnull=True):
        grants.grant_end(launch)
        Launch.objects.filter(pk=launch.pk).update(ended_at=timezone.now())
        audit_launch_event(request, launch, action="logout", outcome="success")
    request.session.flush()
    response = render(request, "launch/signed_out.html")
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def jwks(request):
    """The app's public keys, for EHRs that authenticate smartapp with private_key_jwt."""
    return JsonResponse(app_keys.public_jwks(), headers={"Cache-Control": "public, max-age=3600"})


@require_GET
def home(request):
    """The registered EHRs, each with its sign-in buttons (standalone launch)."""
    ehrs = [
        {
            "name": c.name,
            "title": c.title,
            "patient": bool(c.scope_for("patient")) and bool(c.issuer),
            "coordinator": bool(c.scope_for("coordinator")) and bool(c.issuer),
        }
        for c in configs.enabled_configs()
    ]
    return render(request, "launch/home.html", {"ehrs": ehrs, "sandbox_enabled": settings.SANDBOX_ENABLED})
