"""Decades of real-looking history synced over HTTP, as from any EHR: the Synthea patients the sandbox
imports. Everything is stored, and only what lies inside the tracking horizon reaches a worklist."""

from datetime import timedelta

from django.utils import timezone

from smartapp.referrals.models import BEFORE_TRACKING, Referral
from smartapp.referrals.sync import referral_sync
from smartapp.referrals.worklist import worklist_referrals
from smartapp.sandbox.importer import SYNTHEA_DIR, resources_import
from tests.referrals.sync_support import ehr_fixture  # noqa: F401 (the `ehr` fixture)


def test_a_first_sync_of_synthea_histories_puts_nothing_older_than_the_horizon_on_a_worklist(ehr, settings):
    settings.REFERRAL_SYNC_PAGE_SIZE = 200
    imported = resources_import(paths=[SYNTHEA_DIR])
    assert imported.get("Encounter", 0) > 400  # decades of visits and stays

    report = referral_sync(connection="sandbox")

    assert report.total("skipped") == 0
    start = timezone.localdate() - timedelta(days=settings.REFERRAL_TRACKING_DAYS)
    stored = Referral.objects.filter(connection="sandbox")
    old = stored.filter(authored_on__lt=start)
    assert old.filter(kind="discharge").count() > 50  # the stays of decades past are kept...
    assert set(old.values_list("closed_reason", flat=True)) == {BEFORE_TRACKING}  # ...closed as history
    open_dates = [row["authored_on"] for row in worklist_referrals(connections=["sandbox"], chosen={})]
    assert open_dates and all(day is None or day >= start for day in open_dates)
    assert len(open_dates) == stored.exclude(authored_on__lt=start).count()  # all the rest is open
    before = worklist_referrals(connections=["sandbox"], chosen={"show": BEFORE_TRACKING})
    assert before.count() == old.count()
