"""The vendor matrix's world: the seeded sandbox on the live server, one registration per vendor, a panel
Group, and a record of every request the server answered."""

from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from smartapp.ehr import configs
from smartapp.ehr.backend_services import forget_system_tokens
from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic.loader import load
from tests.matrix.registrations import (
    PANEL,
    PANEL_GROUP,
    SECRET,
    SECRET_ENV,
    Registration,
    registrations_write,
    sandbox_clients_register,
)
from tests.matrix.traffic import Traffic
from tests.seeding import seed

# What the follow-up sync reads or exports (its types, the Patients and people around them): their
# lastUpdated are spread out so that the sync's five-minute overlap reads again at most one of each type.
SPREAD_TYPES = (
    "ServiceRequest",
    "Task",
    "Appointment",
    "Encounter",
    "DocumentReference",
    "Patient",
    "Group",
    "Practitioner",
    "PractitionerRole",
    "Organization",
)


@pytest.fixture
def world(live_server, settings, tmp_path, monkeypatch, transactional_db) -> dict[str, Registration]:
    """The seeded sandbox, its panel Group, and one smartapp registration per vendor (by vendor)."""
    settings.APP_ORIGIN = live_server.url
    settings.LAUNCH_CONFIGS_DIR = tmp_path
    settings.REFERRAL_SYNC_PAGE_SIZE = 50
    settings.SANDBOX_EXPORT_SECONDS = 0  # an export job is ready at once (smartapp/sandbox/bulk/)
    settings.SANDBOX_EXPORT_FILE_LINES = 5  # several NDJSON files per type, even for the small panel
    monkeypatch.setenv(SECRET_ENV, SECRET)
    cache.clear()
    forget_system_tokens()
    seed()
    panel_group_load()
    yield registrations_write(tmp_path, live_server.url)
    forget_system_tokens()
    cache.clear()


@pytest.fixture
def registered(world):
    """registered(vendor) -> its Registration, with its sandbox clients registered under the vendor."""

    def register(vendor: str) -> Registration:
        registration = world[vendor]
        sandbox_clients_register(registration)
        assert configs.by_name(registration.name) is not None, "the registration did not validate"
        return registration

    return register


@pytest.fixture
def traffic(live_server):
    """The live server's application wrapped in a recorder (tests/matrix/traffic.py)."""
    httpd = live_server.thread.httpd
    original = httpd.get_app()
    recorder = Traffic(original)
    httpd.set_app(recorder)
    yield recorder
    httpd.set_app(original)


@pytest.fixture
def browser(world):
    # Closed before the live server's teardown, so no request thread outlives the test's database.
    with requests.Session() as session:
        yield session


def panel_group_load() -> None:
    """The sync's panel: a Group (type person, actual) of the PANEL patients, as an EHR would define it."""
    group = {
        "resourceType": "Group",
        "id": PANEL_GROUP,
        "type": "person",
        "actual": True,
        "name": "Follow-up panel",
        "quantity": len(PANEL),
        "member": [{"entity": {"reference": f"Patient/{patient}"}} for patient in PANEL],
    }
    load([group])


def last_updated_spread(newest=None, step=timedelta(minutes=10)) -> None:
    """Give the synced and exported resources meta.lastUpdated `step` apart, the newest an hour ago (as a
    real EHR's are: with every resource stamped at one instant, an incremental sync would read them all)."""
    newest = newest or (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    rows = list(Resource.objects.filter(resource_type__in=SPREAD_TYPES).order_by("-pk"))
    for index, row in enumerate(rows):
        row.last_updated = newest - index * step
        stamp = row.last_updated.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        row.body = {**row.body, "meta": {**row.body.get("meta", {}), "lastUpdated": stamp}}
    Resource.objects.bulk_update(rows, ["last_updated", "body"], batch_size=500)
