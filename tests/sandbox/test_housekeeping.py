from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from smartapp.sandbox.housekeeping import purge_expired
from smartapp.sandbox.models import ExportJob, LaunchContext, UsedAssertion


def test_it_purges_stale_launches_and_expired_assertion_ids(db):
    user = get_user_model().objects.create(username="sandbox-housekeeping")
    stale = LaunchContext.objects.create(launch="old", user=user, app_url="http://127.0.0.1:9/launch/")
    LaunchContext.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    LaunchContext.objects.create(launch="new", user=user, app_url="http://127.0.0.1:9/launch/")
    now = timezone.now()
    UsedAssertion.objects.create(client_id="c", jti="spent", expires_at=now - timedelta(seconds=1))
    UsedAssertion.objects.create(client_id="c", jti="live", expires_at=now + timedelta(minutes=5))

    for job_id, age in (("old-job", timedelta(days=1, seconds=1)), ("new-job", timedelta(hours=1))):
        job = ExportJob.objects.create(job_id=job_id, client_id="c", transaction_time=now, ready_at=now)
        ExportJob.objects.filter(pk=job.pk).update(created_at=now - age)

    assert purge_expired() == {"launches": 1, "assertions": 1, "exports": 1}
    assert list(ExportJob.objects.values_list("job_id", flat=True)) == ["new-job"]
    assert list(LaunchContext.objects.values_list("launch", flat=True)) == ["new"]
    assert list(UsedAssertion.objects.values_list("jti", flat=True)) == ["live"]
