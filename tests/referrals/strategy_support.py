"""A fake EHR connection for the sync's population strategies, stored through the real store.

`connection` is a registration ("fake") of the fake session's EHR (tests/ehr/bulk_fakes.py) whose vendor
rules name the strategy under test; `referral_sync` reads it with an EhrClient over that session.
"""

from dataclasses import replace

import pytest

from smartapp.ehr.fhir import EhrClient
from smartapp.referrals import sync
from smartapp.referrals.models import Evidence, Referral, SyncClaim, SyncWatermark
from tests.ehr.bulk_fakes import BASE, FakeSession, launch_config, use_rules, vendor_rules

CONNECTION = "fake"


@pytest.fixture(name="session")
def session_fixture():
    return FakeSession()


@pytest.fixture(name="connect")
def connect_fixture(monkeypatch, session, settings):
    """connect(population, group_id=..., **rules) -> the registration the sync reads, over `session`."""
    settings.REFERRAL_SYNC_PAGE_SIZE = 2
    monkeypatch.setattr(sync, "sync_client", lambda config, max_pages: _client(session, max_pages))

    def connect(population: str, *, group_id: str = "panel-1", **rules):
        use_rules(monkeypatch, vendor_rules(population, **rules))
        config = replace(launch_config(group_id=group_id), name=CONNECTION)
        monkeypatch.setattr(sync.configs, "by_name", lambda name: config if name == CONNECTION else None)
        return config

    return connect


def _client(session: FakeSession, max_pages: int) -> EhrClient:
    return EhrClient(base_url=BASE, access_token="token-1", session=session, max_pages=max_pages)


def resume_point() -> dict:
    return SyncClaim.objects.get(connection=CONNECTION).resume


def watermarks() -> dict:
    """The watermarks set (the store keeps an empty row for each type it stored a page of)."""
    rows = SyncWatermark.objects.filter(connection=CONNECTION, last_updated__isnull=False)
    return dict(rows.values_list("resource_type", "last_updated"))


def stored() -> tuple[list, list]:
    """Every stored referral and evidence row by natural key and version (sorted)."""
    referrals = sorted(
        Referral.objects.values_list("fhir_ref", "version_id", "patient_ref", "patient_display")
    )
    evidence = sorted(Evidence.objects.values_list("kind", "fhir_ref", "target_ref", "version_id"))
    return referrals, evidence


def counting_store(
    monkeypatch, fail_on: int | None = None, error: Exception | None = None
) -> list[list[str]]:
    """The ids of each page the sync stored (or tried to: the `fail_on`-th call raises `error`)."""
    real, calls = sync.referral_page_store, []

    def store(**kwargs):
        calls.append([resource["id"] for resource in kwargs["resources"]])
        if fail_on is not None and len(calls) == fail_on:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(sync, "referral_page_store", store)
    return calls
