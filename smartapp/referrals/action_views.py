"""The care team's actions over HTTP: the list's bulk bar and the referral page's forms.

POST only (CSRF-checked by Django's middleware), for coordinators (access.py), answered with a 303 back to
where the coordinator was (the list with its filters, or the referral) and a message saying what changed:
reloading that page never sends the action again, and sending it again changes nothing (actions.py).
"""

from functools import partial

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from smartapp.core.roles import requires_role

from . import actions
from .access import Coordinator, coordinator_for, patient_id_of, referral_for
from .action_forms import ReferralActionForm, spelled
from .forms import WorklistFilterForm
from .presenter import query_string
from .selectors import TeamMember, care_team


@requires_role("coordinator")
@never_cache
@require_POST
def bulk_action(request):
    """An action on the rows selected on the list; back to the list under the same filters."""
    coordinator = coordinator_for(request)
    back = _worklist_url(request, coordinator)
    form, team = _form(request, coordinator)
    if not form.is_valid():
        messages.error(request, form.problems())
    elif not form.cleaned_data["ids"]:
        messages.error(request, "Select one or more referrals first.")
    else:
        _run(request, coordinator, form.cleaned_data, form.cleaned_data["ids"], team, patient_ref="")
    return _see_other(back)


@requires_role("coordinator")
@never_cache
@require_POST
def referral_action(request, pk: int):
    """An action on one referral, from its page; back to its page."""
    coordinator = coordinator_for(request)
    referral = referral_for(request, coordinator, pk)
    form, team = _form(request, coordinator)
    if not form.is_valid():
        messages.error(request, form.problems())
    else:
        patient = patient_id_of(referral)
        _run(request, coordinator, form.cleaned_data, [referral.pk], team, patient_ref=patient)
    return _see_other(f"/referrals/{referral.pk}/#work")


def _form(request, coordinator: Coordinator) -> tuple[ReferralActionForm, list[TeamMember]]:
    team = care_team(connections=coordinator.connections)
    return ReferralActionForm(request.POST, team=team, today=timezone.localdate()), team


def _run(request, coordinator: Coordinator, data: dict, pks: list[int], team, *, patient_ref: str) -> None:
    scope = {
        "connections": coordinator.connections,
        "pks": pks,
        "audit": partial(coordinator.audit, request, patient_ref=patient_ref),
    }
    result, done = _DO[data["action"]](request, scope, data, team)
    _tell(request, result, done)


def _assign(request, scope: dict, data: dict, team: list[TeamMember]):
    if data["action"] == "assign_me":
        return actions.referrals_assign(**scope, owner_id=request.user.pk), "assigned to you"
    if data["action"] == "unassign":
        return actions.referrals_assign(**scope, owner_id=None), "unassigned"
    member = next(m for m in team if m.user_id == data["owner"])  # the form's choices are the team
    result = actions.referrals_assign(**scope, owner_id=member.user_id, owner_connections=member.connections)
    return result, f"assigned to {member.label}"


def _schedule(request, scope: dict, data: dict, team):
    on = data["next_action_on"] if data["action"] == "next_action" else None
    done = f"given the next action date {spelled(on)}" if on else "left without a next action date"
    return actions.referrals_schedule(**scope, on=on), done


def _snooze(request, scope: dict, data: dict, team):
    until = data["snooze_until"]
    result = actions.referrals_snooze(**scope, until=until, today=timezone.localdate())
    return result, f"snoozed until {spelled(until)}"


def _close(request, scope: dict, data: dict, team):
    reason, now = data["reason"], timezone.now()
    result = actions.referrals_close(
        **scope, reason=reason, note=data["note"], by_user_id=request.user.pk, now=now
    )
    label = actions.PERSON_REASONS[reason]
    return result, f"closed: {label[:1].lower()}{label[1:]}"


def _reopen(request, scope: dict, data: dict, team):
    result = actions.referrals_reopen(**scope, now=timezone.now(), today=timezone.localdate())
    return result, "reopened"


_DO = {
    "assign_me": _assign,
    "assign": _assign,
    "unassign": _assign,
    "next_action": _schedule,
    "clear_next_action": _schedule,
    "snooze": _snooze,
    "close": _close,
    "reopen": _reopen,
}


def _tell(request, result: actions.ActionResult, done: str) -> None:
    """ "3 referrals closed: patient declined." and what did not change, without naming anyone."""
    parts = []
    if result.changed:
        parts.append(f"{_referrals(result.changed)} {done}.")
    if result.unchanged:
        were = "was" if result.unchanged == 1 else "were"
        parts.append(
            f"{_referrals(result.unchanged)} {were} left as {'it' if were == 'was' else 'they'} {were}."
        )
    if result.denied:
        parts.append(f"{_referrals(len(result.denied))} could not be found.")
    level = messages.SUCCESS if result.changed else messages.INFO if not result.denied else messages.ERROR
    messages.add_message(request, level, " ".join(parts) or "Nothing to change.")


def _referrals(count: int) -> str:
    return f"{count} referral{'' if count == 1 else 's'}"


def _worklist_url(request, coordinator: Coordinator) -> str:
    """The list under the filters the bulk form was posted with (its action URL's query string), rebuilt
    from the valid codes only: never a redirect anywhere else."""
    chosen = WorklistFilterForm(request.GET, connections=coordinator.connections).chosen()
    page = request.GET.get("page", "")
    query = query_string(chosen, page=page if page.isascii() and page.isdigit() and len(page) < 7 else None)
    return "/referrals/" + (f"?{query}" if query else "")


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: reloading the page that follows does not resend the POST
    response["Cache-Control"] = "no-store"
    return response
