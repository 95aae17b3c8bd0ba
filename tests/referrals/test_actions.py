"""The care team's actions as services (referrals/actions.py): each a single conditional UPDATE over a list
of pks, idempotent, scoped to the coordinator's connections, with one audit event holding pks and counts."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartapp.referrals import actions
from smartapp.referrals.models import BEFORE_TRACKING, Referral

from . import dashboard

pytestmark = pytest.mark.django_db
SCOPE = ("sandbox",)


class Events(list):
    """Collects what the services ask to audit (Coordinator.audit with the request bound)."""

    def __call__(self, **event):
        self.append(event)

    def of(self, action: str) -> list[dict]:
        return [event for event in self if event["action"] == action]


@pytest.fixture
def audit():
    return Events()


@pytest.fixture
def me(django_user_model):
    return django_user_model.objects.create_user(username="coordinator-me")


def _rows(count: int, **fields) -> list[Referral]:
    return [dashboard.referral(state="overdue", due_in_days=-1 - n, **fields) for n in range(count)]


def _pks(rows) -> list[int]:
    return [row.pk for row in rows]


def _close(pks, audit, me, *, reason="declined", note=""):
    now = timezone.now()
    return actions.referrals_close(
        connections=SCOPE, pks=pks, reason=reason, note=note, by_user_id=me.pk, now=now, audit=audit
    )


def test_assigning_gives_the_rows_to_the_owner_once(audit, me):
    rows = _rows(3)
    Referral.objects.filter(pk=rows[0].pk).update(owner=me)

    first = actions.referrals_assign(connections=SCOPE, pks=_pks(rows), owner_id=me.pk, audit=audit)
    again = actions.referrals_assign(connections=SCOPE, pks=_pks(rows), owner_id=me.pk, audit=audit)

    assert (first.changed, first.unchanged, again.changed, again.unchanged) == (2, 1, 0, 3)
    assert set(Referral.objects.values_list("owner_id", flat=True)) == {me.pk}
    assert [(e["outcome"], e["detail"]["changed"]) for e in audit] == [("changed", 2), ("unchanged", 0)]
    assert audit[0]["detail"] == {
        "owner": me.pk,
        "referrals": sorted(_pks(rows[1:])),
        "requested": 3,
        "changed": 2,
    }


def test_unassigning_clears_the_owner_and_repeating_it_changes_nothing(audit, me):
    owned, free = _rows(1, owner=me)[0], _rows(1)[0]

    first = actions.referrals_assign(connections=SCOPE, pks=[owned.pk, free.pk], owner_id=None, audit=audit)
    again = actions.referrals_assign(connections=SCOPE, pks=[owned.pk, free.pk], owner_id=None, audit=audit)

    assert (first.changed, again.changed) == (1, 0)
    assert not Referral.objects.filter(owner__isnull=False).exists()


def test_assigning_to_a_colleague_skips_the_connections_they_never_signed_in_on(audit):
    colleague = dashboard.colleague(connection="sandbox")
    here, there = _rows(1)[0], _rows(1, connection="epic")[0]

    result = actions.referrals_assign(
        connections=("epic", "sandbox"),
        pks=[here.pk, there.pk],
        owner_id=colleague.pk,
        owner_connections=["sandbox"],
        audit=audit,
    )

    assert (result.changed, result.unchanged) == (1, 1)
    assert Referral.objects.get(pk=here.pk).owner_id == colleague.pk
    assert Referral.objects.get(pk=there.pk).owner_id is None


def test_the_next_action_date_is_set_and_cleared(audit):
    row = _rows(1)[0]
    on = dashboard.day(3)

    set_twice = [
        actions.referrals_schedule(connections=SCOPE, pks=[row.pk], on=on, audit=audit) for _ in "ab"
    ]
    assert Referral.objects.get(pk=row.pk).next_action_on == on
    cleared = actions.referrals_schedule(connections=SCOPE, pks=[row.pk], on=None, audit=audit)

    assert [r.changed for r in set_twice] == [1, 0] and cleared.changed == 1
    assert Referral.objects.get(pk=row.pk).next_action_on is None
    assert audit[0]["detail"]["on"] == on.isoformat() and audit[2]["detail"]["on"] == ""


def test_a_snooze_hides_open_rows_until_a_day_and_leaves_closed_ones_alone(audit, me):
    open_row, closed = _rows(2)
    _close([closed.pk], audit, me)
    today, until = timezone.localdate(), dashboard.day(14)

    first = actions.referrals_snooze(
        connections=SCOPE, pks=[open_row.pk, closed.pk], until=until, today=today, audit=audit
    )
    again = actions.referrals_snooze(
        connections=SCOPE, pks=[open_row.pk], until=until, today=today, audit=audit
    )

    assert (first.changed, first.unchanged, again.changed) == (1, 1, 0)
    assert Referral.objects.get(pk=open_row.pk).snoozed_until == until
    assert Referral.objects.get(pk=closed.pk).snoozed_until is None


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_snooze_must_end_after_today_and_within_a_year(audit, days):
    row, today = _rows(1)[0], timezone.localdate()
    with pytest.raises(actions.ActionRefused):
        actions.referrals_snooze(
            connections=SCOPE, pks=[row.pk], until=today + timedelta(days=days), today=today, audit=audit
        )
    assert Referral.objects.get(pk=row.pk).snoozed_until is None and audit == []


def test_closing_records_the_reason_the_note_who_and_when_but_audits_no_note(audit, me):
    row = _rows(1, snoozed_until=dashboard.day(5))[0]

    result = _close([row.pk], audit, me, reason="other", note="  Moved abroad, per daughter  ")

    closed = Referral.objects.get(pk=row.pk)
    assert result.changed == 1
    assert (closed.closed_reason, closed.closed_note, closed.closed_by_id) == (
        "other",
        "Moved abroad, per daughter",
        me.pk,
    )
    assert closed.closed_at is not None and closed.snoozed_until is None
    assert audit[0]["detail"] == {
        "reason": "other",
        "with_note": True,
        "referrals": [row.pk],
        "requested": 1,
        "changed": 1,
    }
    assert "abroad" not in repr(audit)


def test_a_closed_row_keeps_its_first_reason_when_closed_again(audit, me):
    row = _rows(1)[0]
    _close([row.pk], audit, me, reason="declined")

    again = _close([row.pk], audit, me, reason="reached")

    assert (again.changed, again.unchanged) == (0, 1)
    assert Referral.objects.get(pk=row.pk).closed_reason == "declined"
    assert audit[-1]["outcome"] == "unchanged"


@pytest.mark.parametrize(
    ("reason", "note"), [("other", ""), ("other", "   "), (BEFORE_TRACKING, "x"), ("bogus", "")]
)
def test_other_needs_words_and_before_tracking_is_never_a_persons_reason(audit, me, reason, note):
    row = _rows(1)[0]
    with pytest.raises(actions.ActionRefused):
        _close([row.pk], audit, me, reason=reason, note=note)
    assert Referral.objects.get(pk=row.pk).closed_reason == "" and audit == []


def test_reopening_puts_closed_and_snoozed_rows_back_and_leaves_open_ones_alone(audit, me):
    closed, snoozed, horizon, open_row, snooze_over = _rows(5)
    _close([closed.pk], audit, me)
    Referral.objects.filter(pk=snoozed.pk).update(snoozed_until=dashboard.day(3))
    Referral.objects.filter(pk=horizon.pk).update(closed_reason=BEFORE_TRACKING)
    Referral.objects.filter(pk=snooze_over.pk).update(snoozed_until=dashboard.day(-1))
    pks, now = [closed.pk, snoozed.pk, horizon.pk, open_row.pk, snooze_over.pk], timezone.now()

    first = actions.referrals_reopen(
        connections=SCOPE, pks=pks, now=now, today=timezone.localdate(), audit=audit
    )
    again = actions.referrals_reopen(
        connections=SCOPE, pks=pks, now=now, today=timezone.localdate(), audit=audit
    )

    assert (first.changed, first.unchanged, again.changed) == (3, 2, 0)
    reopened = Referral.objects.filter(pk__in=[closed.pk, snoozed.pk, horizon.pk])
    assert {(r.closed_reason, r.closed_by_id, r.closed_at, r.snoozed_until) for r in reopened} == {
        ("", None, None, None)
    }
    assert all(r.reopened_at == now for r in reopened)
    assert Referral.objects.get(pk=open_row.pk).reopened_at is None


def test_rows_of_another_connection_or_no_row_at_all_are_denied_and_audited(audit, me):
    mine, theirs = _rows(1)[0], _rows(1, connection="epic")[0]

    result = _close([mine.pk, theirs.pk, 999_999], audit, me)

    assert (result.changed, result.denied) == (1, (theirs.pk, 999_999))
    assert Referral.objects.get(pk=theirs.pk).closed_reason == ""
    denied = audit.of("access.denied")
    assert denied == [
        {
            "action": "access.denied",
            "outcome": "referral_not_found",
            "detail": {"referrals": [theirs.pk, 999_999]},
        }
    ]
    assert audit.of("referrals.close")[0]["detail"]["referrals"] == [mine.pk]


def test_a_bulk_action_on_a_thousand_rows_is_one_update_and_takes_under_a_second(audit, me):
    Referral.objects.bulk_create(
        Referral(connection="sandbox", fhir_ref=f"ServiceRequest/bulk-{n}", state="overdue")
        for n in range(1000)
    )
    pks = list(Referral.objects.values_list("pk", flat=True))

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = _close(pks, audit, me)
    elapsed = time.perf_counter() - started

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert result.changed == 1000 and len(updates) == 1
    assert elapsed < 1.0
    assert len(audit) == 1 and audit[0]["detail"]["changed"] == 1000
