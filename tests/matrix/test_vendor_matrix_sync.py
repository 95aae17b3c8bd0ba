"""The vendor matrix, the follow-up sync's side (issue 13, part 3): for the plain sandbox and each vendor
emulation, a full sync then an incremental one over HTTP, by the population strategy of the vendor's profile
(system-wide search, Bulk Data `$export` on a Group, per-patient searches over the Group's members). The
sandbox's answers prove the strategy used; a request the vendor refuses fails the matrix, and so does a
referral or discharge of the panel missing from the worklist. Not a `services` test: SQLite only.
"""

import dataclasses
import re

import pytest

from smartapp.audit.models import AuditEvent
from smartapp.ehr import configs
from smartapp.ehr.errors import EhrBadResponse
from smartapp.ehr.profiles import profile_for
from smartapp.referrals.models import Referral
from smartapp.referrals.sync import SYNC_TYPES, referral_sync
from smartapp.referrals.worklist import worklist_referrals
from smartapp.sandbox.synthetic import catalog
from tests.matrix.browsing import standalone_launch
from tests.matrix.conftest import last_updated_spread
from tests.matrix.expected import (
    kick_offs,
    patient_less,
    referral_bump,
    referral_refs,
    searched_patients,
    stored_refs,
)
from tests.matrix.registrations import COORDINATOR, PANEL, PANEL_GROUP, VENDORS
from tests.matrix.traffic import refused, searches, under
from tests.referrals.sync_support import EXPECTED, duplicates, seeded_states

# The strategy per vendor (athena: whatever its table says, from its documentation).
POPULATION = {
    "sandbox": "system_search",
    "epic": "bulk_export",
    "oracle": "bulk_export",
    "meditech": "per_patient",
}
# Follow-up data read (not "ignored": included Patients and people, other orders, visits of no interest).
COUNTS = ("created", "updated", "unchanged", "skipped")


def _rules(vendor: str):
    return profile_for(configs.by_name(vendor)).rules


def _strategy_problems(rules, seen, base: str) -> list[str]:
    """How the requests of a sync differ from the vendor's population strategy."""
    exports = kick_offs(seen, base, PANEL_GROUP)
    everywhere = [t for t in SYNC_TYPES if patient_less(seen, base, t)]
    if rules.population == "bulk_export":
        statuses = [s.status for s in exports]
        problems = [] if statuses == [202] else [f"kick-offs answered {statuses}"]
        problems += [f"searched {t}" for t in SYNC_TYPES if searches(seen, base, t)]
        if not any(s.method == "DELETE" and s.status < 300 for s in under(seen, base)):
            problems.append("export job not deleted")
        return problems
    problems = [f"kick-offs {len(exports)}"] if exports else []
    if rules.population == "per_patient":
        problems += [f"searched {t} across patients" for t in everywhere]
        if searched_patients(seen, base, "ServiceRequest") != set(PANEL):
            problems.append("ServiceRequest not searched for each panel patient")
        return problems
    return problems + [f"{t} not searched across patients" for t in SYNC_TYPES if t not in everywhere]


def _worklist_problems(browser, registration) -> list[str]:
    """Open referrals of the connection missing from the coordinator's worklist pages."""
    open_rows = {row["pk"] for row in worklist_referrals(connections=[registration.name], chosen={})}
    shown = set()
    for number in range(1, len(open_rows) // 50 + 2):
        page = browser.get(f"{registration.origin}/referrals/?page={number}")
        if page.status_code != 200:
            return [f"worklist page {number} answered {page.status_code}"]
        shown |= {int(pk) for pk in re.findall(r'href="/referrals/(\d+)/"', page.text)}
    missing = open_rows - shown
    return [] if open_rows and not missing else [f"{len(missing)} of {len(open_rows)} open referrals missing"]


def _synced(registration, traffic):
    """(report, requests seen) of a connection sync; a failed sync fails the test with what was refused."""
    with traffic.watching() as seen:
        try:
            report = referral_sync(connection=registration.name)
        except Exception as error:
            pytest.fail(f"the sync failed ({type(error).__name__}: {error}); refused: {refused(seen)}")
    return report, seen


def _panel_tracked(registration) -> None:
    """Without a Group, a per-patient sync follows the patients smartapp tracks: a clinician's "track
    follow-up" of each panel patient (a patient's own sync, which moves no watermark) makes them so."""
    for patient in PANEL:
        referral_sync(connection=registration.name, patient=patient)
    tracked = Referral.objects.values_list("patient_ref", flat=True)
    assert {ref.removeprefix("Patient/") for ref in tracked} == set(PANEL)


def _incremental_types(rules, seen, base: str) -> list[str]:
    """The synced types whose changes the vendor lets the sync ask for (`_since` on the export, else
    `_lastUpdated` on the searches); asserts the sync asked that way."""
    if rules.population == "bulk_export":
        [kick_off] = kick_offs(seen, base, PANEL_GROUP)
        if "_since" not in rules.bulk_params:
            return []
        assert kick_off.param("_since"), "an incremental export without _since"
        return list(SYNC_TYPES)
    found = [t for t in SYNC_TYPES if t in rules.search and "_lastUpdated" in rules.search[t].accepted]
    for resource_type in found:
        unfiltered = [s for s in searches(seen, base, resource_type) if not s.param("_lastUpdated")]
        assert not unfiltered, f"{resource_type} searched again without _lastUpdated"
    return found


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_full_then_an_incremental_sync_read_the_panel_the_vendor_way(vendor, registered, browser, traffic):
    registration, rules = registered(vendor), _rules(vendor)
    assert rules.population == POPULATION.get(vendor, rules.population)
    last_updated_spread()
    # A coordinator's offline grant: what the sync reads MEDITECH with (no Backend Services there).
    signed_in = standalone_launch(browser, registration, "coordinator", COORDINATOR)
    assert signed_in.status_code == 200, signed_in.text[:300]
    if rules.population == "per_patient" and not registration.group_id:
        _panel_tracked(registration)

    _, seen = _synced(registration, traffic)

    base = registration.fhir_path
    assert refused(seen) == []
    assert _strategy_problems(rules, seen, base) == []
    patients = catalog.PATIENT_IDS if rules.population == "system_search" else PANEL
    assert stored_refs(registration.name) == referral_refs(patients)
    assert seeded_states(registration.name) == EXPECTED  # evidence of every kind linked and read
    assert _worklist_problems(browser, registration) == []

    ref, version = referral_bump()
    report, again = _synced(registration, traffic)

    assert refused(again) == []
    assert Referral.objects.get(connection=registration.name, fhir_ref=ref).version_id == str(version)
    assert duplicates() == [] and stored_refs(registration.name) == referral_refs(patients)
    read = {t.resource_type: sum(getattr(t, name) for name in COUNTS) for t in report.types}
    incremental = _incremental_types(rules, again, base)
    # The change, plus at most the newest resource of each type again (the sync's five-minute overlap).
    assert sum(read.get(t, 0) for t in incremental) <= len(incremental) + 1, read
    assert sum(t.updated for t in report.types if t.resource_type == "ServiceRequest") == 1


def test_a_broken_vendor_rule_fails_the_sync_with_a_clear_error(registered, traffic, monkeypatch):
    """The app's Epic table, broken: its types searchable without a patient and a system-wide search for
    population. The Epic emulation refuses the search (400), and the sync fails, naming no patient."""
    registration = registered("epic")
    profile = profile_for(configs.by_name("epic"))
    rules = profile.rules
    unbound = {name: dataclasses.replace(rule, required=()) for name, rule in rules.search.items()}
    broken = dataclasses.replace(rules, population="system_search", search=unbound)
    monkeypatch.setattr(type(profile), "rules", broken)

    with traffic.watching() as seen, pytest.raises(EhrBadResponse) as failure:
        referral_sync(connection=registration.name)

    [search] = searches(seen, registration.fhir_path, "ServiceRequest")
    assert search.status == 400 and "patient" in search.said  # the emulation names the missing parameter
    assert str(failure.value) == EhrBadResponse.message  # a fixed message: nothing of the request in it
    assert not Referral.objects.exists()
    event = AuditEvent.objects.get(action="referrals.sync")
    assert (event.outcome, event.detail["error_class"]) == ("failed", "EhrBadResponse")
