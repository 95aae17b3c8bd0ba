"""How fresh the worklist's data is: the pure computation over a claim row and the time, the progress the
sync records on that row, and the worklist's freshness part (last synced, syncing, failed, stale)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals import sync
from smartapp.referrals.claims import claim_release, claim_renew, claim_take
from smartapp.referrals.freshness import ago, connection_freshness, connections_due, freshness_of
from smartapp.referrals.models import SyncClaim
from tests.referrals.sync_support import PAGE_SIZE, ehr_fixture, seeded_count  # noqa: F401 (`ehr`)

from . import dashboard

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=15)


def fresh(claim: SyncClaim | None, *, now: datetime = NOW):
    return freshness_of("sandbox", claim, now=now, interval=INTERVAL, title="Sandbox EHR")


def claim(**fields) -> SyncClaim:
    return SyncClaim(connection="sandbox", **fields)


# --- the pure computation -----------------------------------------------------------------------------


def test_a_connection_never_synced_says_so_and_is_not_called_stale():
    for row in (None, claim()):
        shown = fresh(row)
        assert (shown.finished_at, shown.ago, shown.stale, shown.syncing, shown.failed_at) == (
            None,
            "",
            False,
            False,
            None,
        )
        assert shown.title == "Sandbox EHR"


def test_a_recent_sync_is_fresh_and_says_how_long_ago():
    shown = fresh(claim(finished_at=NOW - timedelta(minutes=12, seconds=40)))
    assert (shown.ago, shown.stale, shown.interval_minutes) == ("12 min ago", False, 15)


def test_the_data_is_stale_once_the_last_sync_is_older_than_twice_the_interval():
    assert not fresh(claim(finished_at=NOW - 2 * INTERVAL)).stale  # exactly twice: not yet
    assert fresh(claim(finished_at=NOW - 2 * INTERVAL - timedelta(seconds=1))).stale


def test_a_run_in_progress_shows_its_pages():
    row = claim(
        finished_at=NOW - timedelta(hours=1),
        holder="run-1",
        claimed_until=NOW + timedelta(minutes=5),
        started_at=NOW - timedelta(seconds=30),
        progress_pages=3,
        progress_type="Task",
    )
    shown = fresh(row)
    assert (shown.syncing, shown.pages, shown.resource_type) == (True, 3, "Task")
    assert shown.progress == "Syncing now: 3 pages read"
    assert shown.stale  # an hour old all the same: the run has not finished
    assert fresh(claim(**{**_fields(row), "progress_pages": 1})).progress == "Syncing now: 1 page read"


def test_a_lapsed_claim_or_one_patients_run_is_not_a_sync_in_progress():
    dead = claim(
        holder="run-1", claimed_until=NOW - timedelta(seconds=1), started_at=NOW - timedelta(hours=1)
    )
    patient_only = claim(holder="run-2", claimed_until=NOW + timedelta(minutes=5), started_at=None)
    assert not fresh(dead).syncing and not fresh(patient_only).syncing
    assert fresh(dead).progress == ""


def test_a_failure_after_the_last_complete_run_is_shown_and_an_older_one_is_not():
    failed = claim(finished_at=NOW - timedelta(hours=2), failed_at=NOW - timedelta(minutes=3))
    recovered = claim(finished_at=NOW - timedelta(minutes=1), failed_at=NOW - timedelta(minutes=3))
    never_ok = claim(failed_at=NOW - timedelta(minutes=3))
    assert fresh(failed).failed_at == NOW - timedelta(minutes=3)
    assert fresh(recovered).failed_at is None
    assert fresh(never_ok).failed_at == NOW - timedelta(minutes=3)


def test_a_sync_now_waits_until_a_run_answers_it():
    asked = NOW - timedelta(seconds=20)
    assert fresh(claim(finished_at=NOW - timedelta(hours=1), requested_at=asked)).waiting
    assert fresh(claim(requested_at=asked)).waiting
    assert not fresh(claim(finished_at=NOW - timedelta(seconds=5), requested_at=asked)).waiting
    assert not fresh(claim(failed_at=NOW - timedelta(seconds=5), requested_at=asked)).waiting
    running = claim(requested_at=asked, holder="h", claimed_until=NOW + INTERVAL, started_at=NOW)
    assert not fresh(running).waiting  # it shows its progress instead
    assert not fresh(claim(requested_at=NOW - INTERVAL - timedelta(seconds=1))).waiting  # given up on


@pytest.mark.parametrize(
    ("elapsed", "said"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=2), "2 h ago"),
        (timedelta(hours=3, minutes=5), "3 h 5 min ago"),
        (timedelta(days=3, hours=1), "3 days ago"),
        (timedelta(seconds=-5), "just now"),  # a clock a little behind the database's
    ],
)
def test_ago_reads_like_a_person_would_say_it(elapsed, said):
    assert ago(elapsed) == said


@pytest.mark.django_db
def test_the_freshness_of_each_connection_comes_in_order_in_one_query(django_assert_num_queries, settings):
    settings.REFERRAL_SYNC_INTERVAL_SECONDS = 600
    SyncClaim.objects.create(connection="sandbox", finished_at=timezone.now() - timedelta(minutes=21))
    with django_assert_num_queries(1):
        rows = connection_freshness(("other", "sandbox"))
    assert [(row.connection, row.stale, row.finished_at is None) for row in rows] == [
        ("other", False, True),
        ("sandbox", True, False),  # 21 min > 2 x 10 min
    ]
    assert rows[1].title == "Sandbox EHR (synthetic patients)"  # the registration's title


@pytest.mark.django_db
def test_connections_synced_within_the_interval_are_not_due():
    now = timezone.now()
    SyncClaim.objects.create(connection="recent", finished_at=now - timedelta(minutes=5))
    SyncClaim.objects.create(connection="old", finished_at=now - timedelta(minutes=16))
    SyncClaim.objects.create(connection="failed", failed_at=now)
    assert connections_due(["recent", "old", "failed", "never"], now=now) == ["old", "failed", "never"]


# --- what the sync records ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_claim_records_a_connection_runs_start_pages_and_end():
    holder = claim_take(connection="sandbox", whole=True)
    claim_renew(connection="sandbox", holder=holder, page_of="ServiceRequest")
    claim_renew(connection="sandbox", holder=holder, page_of="Task")
    claim_renew(connection="sandbox", holder=holder)  # a renewal that stored no page of the run
    row = SyncClaim.objects.get()
    assert row.started_at is not None and (row.progress_pages, row.progress_type) == (2, "Task")

    claim_release(connection="sandbox", holder=holder, finished=True)
    row = SyncClaim.objects.get()
    assert (row.started_at, row.progress_pages, row.progress_type, row.failed_at) == (None, 0, "", None)
    assert row.finished_at is not None


@pytest.mark.django_db
def test_a_patients_run_does_not_show_as_a_sync_of_the_worklist():
    holder = claim_take(connection="sandbox", holder="patient-run")
    claim_renew(connection="sandbox", holder=holder)
    row = SyncClaim.objects.get()
    assert (row.started_at, row.progress_pages) == (None, 0)
    assert not connection_freshness(["sandbox"])[0].syncing


@pytest.mark.django_db
def test_a_failed_connection_run_records_when_it_failed(monkeypatch):
    def down(config, *, max_pages):
        raise EhrUnavailable()

    monkeypatch.setattr(sync, "sync_client", down)
    with pytest.raises(EhrUnavailable):
        sync.referral_sync(connection="sandbox")

    row = SyncClaim.objects.get()
    assert row.failed_at is not None and row.finished_at is None
    assert (row.holder, row.started_at) == ("", None)
    assert connection_freshness(["sandbox"])[0].failed_at == row.failed_at


def test_a_real_sync_shows_its_progress_page_by_page(ehr):
    seen = []

    def on_page(resource_type, report):
        shown = connection_freshness(["sandbox"])[0]
        seen.append((shown.syncing, shown.resource_type == resource_type, shown.pages))

    sync.referral_sync(connection="sandbox", on_page=on_page)

    assert seen and all(syncing and same_type for syncing, same_type, _ in seen)
    assert [pages for _, _, pages in seen] == list(range(1, len(seen) + 1))  # counted as each is stored
    assert len(seen) >= -(-seeded_count("DocumentReference") // PAGE_SIZE)
    after = connection_freshness(["sandbox"])[0]
    assert not after.syncing and after.finished_at is not None and after.ago == "just now"


# --- the worklist's freshness part --------------------------------------------------------------------


@pytest.fixture
def worklist(client, db):
    dashboard.signed_in(client)
    return lambda: client.get("/referrals/").content.decode()


def test_the_worklist_says_a_connection_was_never_synced_and_offers_sync_now(worklist):
    page = worklist()
    assert "never synced" in page
    assert 'action="/referrals/sync-now/sandbox/"' in page
    assert 'name="csrfmiddlewaretoken"' in page.split('action="/referrals/sync-now/sandbox/"')[1][:300]
    assert "js/sync-progress.js" in page
    assert "sync-stale" not in page and "sync-failed" not in page


def test_the_worklist_shows_the_last_sync_with_the_exact_time_in_the_configured_zone(worklist, settings):
    settings.TIME_ZONE = "America/New_York"
    finished = timezone.now() - timedelta(minutes=7, seconds=10)
    SyncClaim.objects.create(connection="sandbox", finished_at=finished)
    local = finished.astimezone(ZoneInfo("America/New_York"))

    page = worklist()

    assert "last synced <time" in page and ">7 min ago</time>" in page
    assert f'title="{local.day} {local:%b %Y, %H:%M %Z}"' in page  # "4 Dec 2026, 14:03 EST"
    assert f'datetime="{local:%Y-%m-%dT%H:%M:%S}' in page


def test_a_stale_connection_is_an_alert(worklist):
    finished = timezone.now() - timedelta(minutes=31)
    SyncClaim.objects.create(connection="sandbox", finished_at=finished)
    page = worklist()
    assert '<p class="sync-stale" role="alert">' in page
    assert "out of date: its last complete sync was 31 min ago" in page and "every 15 min" in page


def test_a_sync_in_progress_shows_its_pages_and_a_refresh_link_instead_of_the_button(worklist):
    now = timezone.now()
    SyncClaim.objects.create(
        connection="sandbox",
        holder="run",
        claimed_until=now + timedelta(minutes=5),
        started_at=now,
        progress_pages=4,
        progress_type="Encounter",
    )
    page = worklist()
    assert "Syncing now: 4 pages read…" in page and 'data-syncing="true"' in page
    assert ">Refresh</a>" in page and "/referrals/sync-now/sandbox/" not in page


def test_a_failed_last_sync_is_shown(worklist):
    SyncClaim.objects.create(connection="sandbox", failed_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    page = worklist()
    assert "The last sync failed at <time" in page and "4 Dec 2026, 09:30 UTC</time>" in page
    assert "the worklist may be out of date" in page


def _fields(row: SyncClaim) -> dict:
    return {f.name: getattr(row, f.name) for f in row._meta.fields if f.name not in ("id", "connection")}
