"""The seeded sandbox the live-server tests get (tests/seeding.py) is the one load_all() makes, with
timestamps as fresh."""

from datetime import UTC

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from smartapp.sandbox.models import Resource
from smartapp.sandbox.synthetic import load_all
from tests import seeding

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="seeding copies rows on SQLite only"),
]


def _clear():
    Resource.objects.all().delete()
    get_user_model().objects.filter(sandbox__isnull=False).delete()


def _sandbox() -> dict:
    """Every synthetic resource and sandbox user, without row ids and timestamps (returned apart)."""
    resources, stamps = {}, set()
    for row in Resource.objects.values():
        del row["id"]
        updated = row.pop("last_updated")
        served = row["body"]["meta"].pop("lastUpdated")
        assert served == updated.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        stamps.add(updated)
        resources[row["resource_type"], row["fhir_id"]] = row
    users = {}
    for user in get_user_model().objects.filter(sandbox__isnull=False).select_related("sandbox"):
        stamps.add(user.date_joined)
        users[user.username] = (
            user.first_name,
            user.last_name,
            user.email,
            user.is_active,
            user.is_staff,
            user.is_superuser,
            user.has_usable_password(),
            user.last_login,
            user.sandbox.fhir_user,
            user.sandbox.role,
        )
    return {"resources": resources, "users": users, "oldest": min(stamps)}


def test_a_copied_sandbox_is_the_loaded_one_with_fresh_timestamps(monkeypatch):
    seeding.seed()  # loads (and keeps a copy), or copies if an earlier test loaded today
    _clear()
    load_all()
    loaded = _sandbox()
    _clear()

    def no_load(**kwargs):
        raise AssertionError("loaded, not copied")

    monkeypatch.setattr(seeding, "load_all", no_load)
    before = timezone.now()
    seeding.seed()
    copied = _sandbox()

    assert copied["resources"] == loaded["resources"]
    assert copied["users"] == loaded["users"]
    assert len(copied["resources"]) > 1000 and len(copied["users"]) > 30
    assert copied["oldest"] >= before


def test_a_sandbox_that_is_not_empty_is_loaded_into(monkeypatch):
    seeding.seed()
    Resource.objects.filter(resource_type="Patient").delete()
    loads = []
    monkeypatch.setattr(seeding, "load_all", lambda **kwargs: loads.append(load_all(**kwargs)))
    seeding.seed()
    assert len(loads) == 1
    assert Resource.objects.filter(resource_type="Patient").count() > 10
