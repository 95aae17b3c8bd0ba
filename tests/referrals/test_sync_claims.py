"""One sync per connection: the claim row, its lease, and a second run that does nothing and says so."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smartapp.referrals.claims import ClaimLost, claim_release, claim_renew, claim_take
from smartapp.referrals.models import SyncClaim, SyncWatermark
from smartapp.referrals.sync import referral_sync

pytestmark = pytest.mark.django_db


def test_a_held_connection_cannot_be_claimed_again():
    first = claim_take(connection="sandbox")

    assert first and claim_take(connection="sandbox") is None
    assert claim_take(connection="other")  # connections are claimed separately


def test_a_released_connection_can_be_claimed_again():
    holder = claim_take(connection="sandbox")
    claim_release(connection="sandbox", holder=holder, finished=True)

    assert claim_take(connection="sandbox")
    assert SyncClaim.objects.get().finished_at is not None


def test_a_crashed_runs_claim_lapses_after_its_lease():
    claim_take(connection="sandbox")  # never released: the worker died
    SyncClaim.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert claim_take(connection="sandbox")


def test_a_run_whose_claim_was_taken_over_may_not_go_on():
    stale = claim_take(connection="sandbox")
    SyncClaim.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    fresh = claim_take(connection="sandbox")

    with pytest.raises(ClaimLost):
        claim_renew(connection="sandbox", holder=stale)
    claim_release(connection="sandbox", holder=stale, finished=True)  # not its claim any more: no effect
    claim_renew(connection="sandbox", holder=fresh)
    assert SyncClaim.objects.get().holder == fresh


def test_renewing_extends_the_lease(settings):
    settings.REFERRAL_SYNC_LEASE_SECONDS = 60
    holder = claim_take(connection="sandbox")
    SyncClaim.objects.update(claimed_until=timezone.now() + timedelta(seconds=5))

    claim_renew(connection="sandbox", holder=holder)

    assert SyncClaim.objects.get().claimed_until > timezone.now() + timedelta(seconds=50)


def test_a_second_run_while_one_holds_the_connection_is_a_no_op_that_says_so():
    claim_take(connection="sandbox")

    report = referral_sync(connection="sandbox")

    assert report.busy and report.types == [] and report.requests == 0
    assert not SyncWatermark.objects.exists()


def test_a_retry_of_the_same_task_takes_its_claim_back_at_once():
    run = "0f4e9b8c2a7d4e6f8a1b3c5d7e9f0a2b"  # a task id: the claim was not released (database gone)
    assert claim_take(connection="sandbox", holder=run) == run

    assert claim_take(connection="sandbox") is None
    assert claim_take(connection="sandbox", holder=run) == run
