"""The care team's work on referrals: owner, next-action date, snooze, close and reopen, on one referral or
many at a time.

Each action is a single conditional UPDATE over a list of pks (STYLE.md convention 3): only the rows not
already in the wanted state change, so repeating an action changes nothing. The rows must belong to one of
the coordinator's `connections`: any other pk (or one that does not exist) is left alone and reported as
denied. Each call writes one audit event in its own transaction (STYLE.md convention 7), with pks, counts
and reason codes only: never a name, and never the close note, which is free text a person wrote.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from .models import BEFORE_TRACKING, CLOSE_REASONS, Referral

OTHER = "other"
PERSON_REASONS = {code: label for code, label in CLOSE_REASONS if code != BEFORE_TRACKING}
SNOOZE_MAX = timedelta(days=365)
_CLEARED = {"closed_reason": "", "closed_note": "", "closed_at": None, "closed_by_id": None}

# audit(action=..., outcome=..., detail=...): Coordinator.audit with the request and patient bound.
Audit = Callable[..., None]


class ActionRefused(ValueError):
    """The action's values are not allowed (the forms say why to a person first)."""


@dataclass(frozen=True)
class ActionResult:
    changed: int  # rows the UPDATE changed
    unchanged: int  # rows of the coordinator's connections already so (or not open to the action)
    denied: tuple[int, ...]  # pks of another connection, or of no referral at all


def referrals_assign(
    *,
    connections: Iterable[str],
    pks: Collection[int],
    owner_id: int | None,
    audit: Audit,
    owner_connections: Iterable[str] | None = None,
) -> ActionResult:
    """Give the referrals to `owner_id`, or to no one (None). With `owner_connections`, only the referrals of
    those connections (the ones the owner signs in on) are given; the others stay as they are."""
    todo = Q(owner__isnull=False) if owner_id is None else ~Q(owner_id=owner_id)
    if owner_connections is not None:
        todo &= Q(connection__in=list(owner_connections))
    detail = {"owner": owner_id} if owner_id is not None else {}
    return _act("referrals.assign", connections, pks, todo, {"owner_id": owner_id}, audit, detail=detail)


def referrals_schedule(
    *, connections: Iterable[str], pks: Collection[int], on: date | None, audit: Audit
) -> ActionResult:
    """Set the next-action date (None clears it)."""
    todo = Q(next_action_on__isnull=False) if on is None else ~Q(next_action_on=on)
    detail = {"on": on.isoformat() if on else ""}
    return _act("referrals.next_action", connections, pks, todo, {"next_action_on": on}, audit, detail)


def referrals_snooze(
    *, connections: Iterable[str], pks: Collection[int], until: date, today: date, audit: Audit
) -> ActionResult:
    """Hide open referrals from the open list until `until` (after today, within SNOOZE_MAX). A closed
    referral is not snoozed: it stays closed."""
    if not today < until <= today + SNOOZE_MAX:
        raise ActionRefused("snooze until a day after today, within a year")
    todo = Q(closed_reason="") & ~Q(snoozed_until=until)
    detail = {"until": until.isoformat()}
    return _act("referrals.snooze", connections, pks, todo, {"snoozed_until": until}, audit, detail)


def referrals_close(
    *,
    connections: Iterable[str],
    pks: Collection[int],
    reason: str,
    note: str,
    by_user_id: int,
    now: datetime,
    audit: Audit,
) -> ActionResult:
    """Close the open referrals with a person's `reason` ("other" needs a `note`). Closed ones keep their
    reason, note and closer: to change them, reopen first."""
    note = note.strip()
    if reason not in PERSON_REASONS:
        raise ActionRefused("not a reason a person can choose")
    if reason == OTHER and not note:
        raise ActionRefused("say why when the reason is other")
    changes = {
        "closed_reason": reason,
        "closed_note": note,
        "closed_at": now,
        "closed_by_id": by_user_id,
        "snoozed_until": None,
    }
    # The note is what a person wrote about a patient: it never goes into the audit detail.
    detail = {"reason": reason, "with_note": bool(note)}
    return _act("referrals.close", connections, pks, Q(closed_reason=""), changes, audit, detail)


def referrals_reopen(
    *, connections: Iterable[str], pks: Collection[int], now: datetime, today: date, audit: Audit
) -> ActionResult:
    """Back on the open list: closed referrals (by a person or before tracking began) and snoozed ones."""
    todo = ~Q(closed_reason="") | Q(snoozed_until__gt=today)
    changes = {**_CLEARED, "snoozed_until": None, "reopened_at": now}
    return _act("referrals.reopen", connections, pks, todo, changes, audit)


@transaction.atomic
def _act(action: str, connections, pks, todo: Q, changes: dict, audit: Audit, detail=None) -> ActionResult:
    wanted = sorted(set(pks))
    # One read says which pks are in scope and which of them the update will change (for the audit);
    # the UPDATE repeats the condition, so a concurrent change is never applied twice.
    found = dict(
        Referral.objects.filter(pk__in=wanted, connection__in=list(connections))
        .annotate(todo=ExpressionWrapper(todo, output_field=BooleanField()))
        .values_list("pk", "todo")
    )
    denied = tuple(pk for pk in wanted if pk not in found)
    if denied:
        audit(action="access.denied", outcome="referral_not_found", detail={"referrals": list(denied)})
    changing = [pk for pk, todo_it in found.items() if todo_it]
    changed = 0
    if changing:
        changed = (
            Referral.objects.filter(pk__in=changing).filter(todo).update(**changes, updated_at=timezone.now())
        )
    audit(
        action=action,
        outcome="changed" if changed else "unchanged",
        detail={
            **(detail or {}),
            "referrals": sorted(changing),
            "requested": len(wanted),
            "changed": changed,
        },
    )
    return ActionResult(changed=changed, unchanged=len(found) - changed, denied=denied)
