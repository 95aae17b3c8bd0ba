"""The fault switches over HTTP, for tests and demos: list, switch on, switch off.

A request carrying JSON is exempt from CSRF: a cross-site page cannot send
`Content-Type: application/json` without a CORS preflight, which the sandbox never grants.
Form posts (the simulator page) carry the sandbox's own CSRF token (smartapp/sandbox/form_token.py).
"""

import json

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from smartapp.sandbox import faults, form_token
from smartapp.sandbox.models import Fault
from smartapp.sandbox.simulator.forms import FaultOffForm, FaultOnForm


@csrf_exempt
@require_http_methods(["GET", "POST"])
def fault_list(request):
    """GET: the faults switched on, as JSON. POST (kind, value, client_id, remaining): switch one on."""
    if request.method == "GET":
        return JsonResponse(_listing())
    return _switch(request, FaultOnForm, _switch_on)


@csrf_exempt
@require_POST
def fault_clear(request):
    """POST (optional kind, client_id): switch faults off."""
    return _switch(request, FaultOffForm, _switch_off)


def _switch(request, form_class, action):
    is_json = request.content_type == "application/json"
    if not is_json and not form_token.accepted(request):
        return form_token.refusal(request)
    data = _json_object(request) if is_json else request.POST
    if data is None:
        return _refused(request, ["The request body must be a JSON object."], is_json)
    form = form_class(data)
    if not form.is_valid():
        return _refused(request, [m for errors in form.errors.values() for m in errors], is_json)
    result = action(form.cleaned_data)
    return JsonResponse(result) if is_json else redirect("/sandbox/#faults")


def _switch_on(data) -> dict:
    fault = faults.switch_on(
        data["kind"], data["value"], client_id=data["client_id"], remaining=data["remaining"]
    )
    return {"switched_on": _as_json(fault), **_listing()}


def _switch_off(data) -> dict:
    count = faults.switch_off(data["kind"] or None, client_id=data["client_id"])
    return {"switched_off": count, **_listing()}


def _listing() -> dict:
    rows = Fault.objects.order_by("id")
    return {"faults": [_as_json(row) for row in rows], "kinds": sorted(faults.KINDS)}


def _as_json(fault: Fault) -> dict:
    return {
        "id": fault.pk,
        "kind": fault.kind,
        "value": fault.value,
        "client_id": fault.client_id,
        "remaining": fault.remaining,
    }


def _json_object(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _refused(request, messages: list[str], is_json: bool):
    if is_json:
        return JsonResponse({"error": " ".join(messages), "kinds": sorted(faults.KINDS)}, status=400)
    context = {"title": "Fault switch refused", "problems": messages}
    return render(request, "sandbox/simulator/refused.html", context, status=400)
