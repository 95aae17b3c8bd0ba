"""Thin views of the launch: begin (EHR or standalone), callback, logout, the app's public keys."""

import logging

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.audit.services import audit_record
from smartapp.core.roles import public
from smartapp.ehr import app_keys, configs
from smartapp.ehr.errors import EhrAuthExpired, EhrBadResponse, EhrUnavailable, LaunchRejected
from smartapp.launch import begin
from smartapp.launch.complete import landing_url, launch_complete
from smartapp.launch.display_names import display_name_fill
from smartapp.launch.embedding import embeddable
from smartapp.launch.parameters import launch_parameters
from smartapp.launch.problems import problem_page, reason_for
from smartapp.launch.rate_limits import rate_limited
from smartapp.launch.session_policy import starts_over
from smartapp.launch.signout import session_end, signed_out_page

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


@public
@starts_over
@embeddable
@rate_limited("launch")
@never_cache
@require_GET
def ehr_launch(request):
    """/launch/?iss=...&launch=...: an EHR launch. The `iss` must be a registered EHR."""
    try:
        # An `iss` with a control character cannot be a registered issuer: the "Unknown EHR" page
        params = launch_parameters(request, malformed={"iss": "unknown_iss"})
        url = begin.launch_begin_ehr(request, iss=params.get("iss", ""), launch=params.get("launch", ""))
    except (LaunchRejected, EhrUnavailable, EhrBadResponse) as error:
        return _failed(request, error, action="launch.begin")
    return _to_ehr(url)


@public
@starts_over
@rate_limited("launch")
@never_cache
@require_POST
def standalone_launch(request, config_name: str):
    """/launch/<config>/ (POST from the home page's sign-in buttons): a standalone launch."""
    try:
        launch_parameters(request)  # none repeated (query and body together), none with control characters
        url = begin.launch_begin_standalone(
            request, config_name=config_name, persona=request.POST.get("as", "patient")
        )
    except (LaunchRejected, EhrUnavailable, EhrBadResponse) as error:
        return _failed(request, error, action="launch.begin")
    return _to_ehr(url)


@public
@embeddable
@rate_limited("callback")
@never_cache
@require_GET
def callback(request, config_name: str):
    """/callback/<config>/: the EHR's answer. Answers with a redirect so the code leaves the history."""
    try:
        # Refused before the state is looked at: a malformed answer is not attributed to any sign-in
        launch = launch_complete(request, config_name=config_name, query=launch_parameters(request))
    except (LaunchRejected, EhrAuthExpired, EhrUnavailable, EhrBadResponse) as error:
        response = _failed(request, error, action="token.exchange")
    else:
        display_name_fill(request, launch)  # only when the id_token named nobody (display_names.py)
        response = redirect(landing_url(launch))
    response["Referrer-Policy"] = "no-referrer"  # the code must not leak through a Referer (RFC 9700 §4.2.4)
    return response


@public  # signing out needs no role: it ends whatever this browser holds
@embeddable
@require_POST
def logout(request):
    """Revoke this browser's EHR tokens where the EHR allows it, end its launches, clear the session."""
    session_end(request, action="logout", outcome="success")
    return signed_out_page(request, reason="logout")


@public
@require_GET
def jwks(request):
    """The app's public keys, for EHRs that authenticate smartapp with private_key_jwt."""
    return JsonResponse(app_keys.public_jwks(), headers={"Cache-Control": "public, max-age=3600"})


@public
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
