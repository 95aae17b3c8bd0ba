"""The tracking horizon: only referrals written, and stays ended, within the lookback reach a worklist;
older ones are kept, closed as "before tracking began", unless a person has worked on them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from smartapp.ehr import configs
from smartapp.referrals import store
from smartapp.referrals.horizon import CLOSE, REOPEN, Tracked, horizon_change, is_before_tracking
from smartapp.referrals.models import BEFORE_TRACKING, OutreachNote, Referral
from smartapp.referrals.recompute import referral_states_refresh
from smartapp.referrals.tracking import tracking_days
from smartapp.sandbox.importer.files import expand_paths, read_entries
from smartapp.sandbox.importer.resolve import resolve_entries
from smartapp.sandbox.importer.service import SYNTHEA_DIR

from . import fhir

TODAY = date(2025, 6, 1)
DAYS = 180


# The pure function: boundaries.


@pytest.mark.parametrize(
    ("clinical_date", "before"),
    [
        (TODAY - timedelta(days=DAYS), False),  # exactly N days ago: still tracked
        (TODAY - timedelta(days=DAYS + 1), True),  # N + 1 days ago: before tracking
        (TODAY, False),
        (TODAY + timedelta(days=30), False),  # a future date is within the horizon
        (None, False),  # nothing shows it is old
    ],
)
def test_the_horizon_is_the_lookback_counted_back_from_today(clinical_date, before):
    assert is_before_tracking(clinical_date, today=TODAY, days=DAYS) is before


def test_it_moves_with_time():
    written = TODAY - timedelta(days=100)
    assert not is_before_tracking(written, today=TODAY, days=DAYS)
    assert is_before_tracking(written, today=TODAY + timedelta(days=81), days=DAYS)


OLD = TODAY - timedelta(days=DAYS + 1)


@pytest.mark.parametrize(
    ("item", "change"),
    [
        (Tracked(OLD), CLOSE),
        (Tracked(OLD, worked_on=True), None),  # owned, reopened, snoozed, planned or noted: left alone
        (Tracked(OLD, closed_reason="declined"), None),  # a person closed it: their reason stays
        (Tracked(OLD, closed_reason=BEFORE_TRACKING, closed_by_horizon=True), None),
        (Tracked(TODAY, closed_reason=BEFORE_TRACKING, closed_by_horizon=True), REOPEN),  # back in
        (Tracked(None, closed_reason=BEFORE_TRACKING, closed_by_horizon=True), REOPEN),
        (Tracked(TODAY, closed_reason=BEFORE_TRACKING, closed_by_horizon=True, worked_on=True), None),
        (Tracked(TODAY), None),
        (Tracked(None), None),
    ],
)
def test_it_closes_only_what_no_person_has_worked_on_and_reopens_only_its_own(item, change):
    assert horizon_change(item, today=TODAY, days=DAYS) == change


# Applied to stored rows.


def put(*resources, today: date = TODAY, resource_type: str = "ServiceRequest") -> None:
    store.referral_page_store(
        connection="sandbox", resource_type=resource_type, resources=list(resources), today=today
    )


def written(days_ago: int, sr_id: str, today: date = TODAY) -> dict:
    authored = (today - timedelta(days=days_ago)).isoformat()
    return fhir.service_request(sr_id, authoredOn=authored, occurrenceDateTime=None)


def row(sr_id: str) -> Referral:
    return Referral.objects.get(connection="sandbox", fhir_ref=f"ServiceRequest/{sr_id}")


@pytest.mark.django_db
def test_a_sync_keeps_old_referrals_but_closes_them_as_before_tracking():
    put(written(DAYS, "sr-edge"), written(DAYS + 1, "sr-old"), written(3000, "sr-ancient"))
    put(fhir.service_request("sr-undated", authoredOn=None, occurrenceDateTime=None))

    assert row("sr-edge").closed_reason == ""
    assert row("sr-undated").closed_reason == ""
    for old in ("sr-old", "sr-ancient"):
        stored = row(old)
        assert (stored.closed_reason, stored.closed_by, stored.state) == (BEFORE_TRACKING, None, "overdue")
        assert stored.closed_at is not None


@pytest.mark.django_db
def test_the_daily_refresh_closes_what_aged_out_but_not_what_a_person_took_on():
    user = get_user_model().objects.create_user("coordinator-1")
    put(*(written(DAYS - 10, sr_id) for sr_id in ("sr-1", "sr-owned", "sr-reopened", "sr-noted", "sr-done")))
    Referral.objects.filter(fhir_ref="ServiceRequest/sr-owned").update(owner=user)
    Referral.objects.filter(fhir_ref="ServiceRequest/sr-reopened").update(reopened_at=datetime.now(UTC))
    OutreachNote.objects.create(referral=row("sr-noted"), text="left a message", idempotency_key="k-1")
    Referral.objects.filter(fhir_ref="ServiceRequest/sr-done").update(state="completed")  # settled too

    referral_states_refresh(today=TODAY + timedelta(days=9))
    assert set(Referral.objects.exclude(closed_reason="").values_list("fhir_ref", flat=True)) == set()

    referral_states_refresh(today=TODAY + timedelta(days=11))
    closed = Referral.objects.filter(closed_reason=BEFORE_TRACKING).values_list("fhir_ref", flat=True)
    assert set(closed) == {"ServiceRequest/sr-1", "ServiceRequest/sr-done"}
    before = list(Referral.objects.values_list("pk", "closed_reason", "closed_at", "updated_at"))
    referral_states_refresh(today=TODAY + timedelta(days=11))
    assert list(Referral.objects.values_list("pk", "closed_reason", "closed_at", "updated_at")) == before


@pytest.mark.django_db
def test_a_longer_lookback_reopens_what_the_horizon_closed_but_not_what_a_person_closed(settings):
    put(written(DAYS + 30, "sr-1"), written(DAYS + 30, "sr-declined"))
    Referral.objects.filter(fhir_ref="ServiceRequest/sr-declined").update(closed_reason="declined")
    assert row("sr-1").closed_reason == BEFORE_TRACKING

    settings.REFERRAL_TRACKING_DAYS = 365
    referral_states_refresh(today=TODAY)
    assert (row("sr-1").closed_reason, row("sr-1").closed_at) == ("", None)
    assert row("sr-declined").closed_reason == "declined"


@pytest.mark.django_db
def test_the_lookback_is_per_connection(tmp_path, settings):
    (tmp_path / "short.toml").write_text(
        'name = "short"\nvendor = "epic"\nissuer = "https://fhir.example.org/R4"\nclient_id = "x"\n'
        "tracking_days = 30\n"
    )
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    configs.all_configs.cache_clear()
    assert (tracking_days("short"), tracking_days("unknown")) == (30, DAYS)

    page = [written(45, "sr-1")]
    store.referral_page_store(connection="short", resource_type="ServiceRequest", resources=page, today=TODAY)
    put(*page)
    assert Referral.objects.get(connection="short").closed_reason == BEFORE_TRACKING
    assert row("sr-1").closed_reason == ""


@pytest.mark.parametrize("days", [0, -1, "90", 1.5, True, 40_000])
def test_a_registration_with_a_lookback_that_is_not_days_stops_start_up(tmp_path, settings, days):
    value = "true" if days is True else f'"{days}"' if isinstance(days, str) else days
    (tmp_path / "bad.toml").write_text(
        f'name = "bad"\nvendor = "epic"\nissuer = "https://fhir.example.org/R4"\ntracking_days = {value}\n'
    )
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    configs.all_configs.cache_clear()
    with pytest.raises(configs.ConfigInvalid, match="tracking_days"):
        configs.all_configs()


# Decades of real-looking history: the Synthea patients the sandbox serves.


@pytest.fixture(scope="module")
def synthea() -> list[dict]:
    entries = [entry for path in expand_paths([SYNTHEA_DIR]) for entry in read_entries(path)]
    return resolve_entries(entries, lambda *args: set())


@pytest.mark.django_db
def test_a_first_sync_of_synthea_histories_puts_nothing_before_the_horizon_on_a_worklist(synthea):
    encounters = [r for r in synthea if r["resourceType"] == "Encounter"]
    included = [r for r in synthea if r["resourceType"] in ("Patient", "Practitioner", "Organization")]
    hospital = [e for e in encounters if e["class"]["code"] in ("IMP", "EMER")]
    # Today is shortly after the last stay, so that both sides of the horizon are populated.
    today = max(date.fromisoformat(e["period"]["end"][:10]) for e in hospital) + timedelta(days=20)
    for offset in range(0, len(encounters), 100):
        put(*encounters[offset : offset + 100], *included, today=today, resource_type="Encounter")

    discharges = Referral.objects.filter(kind="discharge")
    assert discharges.count() == len(hospital)  # every stay is kept, however old
    start = today - timedelta(days=DAYS)
    old = discharges.filter(authored_on__lt=start)
    assert old.count() > 10 and not old.filter(closed_reason="").exists()
    assert set(old.values_list("closed_reason", flat=True)) == {BEFORE_TRACKING}
    recent = discharges.filter(authored_on__gte=start)
    assert recent.exists() and set(recent.values_list("closed_reason", flat=True)) == {""}
    assert not discharges.exclude(patient_mrn="").filter(patient_mrn__contains="999-").exists()  # no SSN
    assert discharges.filter(patient_mrn="").count() == 0
