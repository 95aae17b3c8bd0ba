"""A recorded match searched again once older than ADT_MATCH_REFRESH_SECONDS (a coordinator's link never),
and a merged Patient's replaced-by link followed to the survivor."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from smartapp.adt import matching
from smartapp.adt.contents import PatientIdentifier
from smartapp.adt.models import PatientMatch
from smartapp.ehr.errors import EhrBadResponse, EhrForbidden, EhrUnavailable

# The `ehr` fixture is test_matching's fake EHR, imported: each test's `ehr` argument is that fixture.
# ruff: noqa: F811
from .test_matching import MRN, MRN_SYSTEM, ehr, match  # noqa: F401

pytestmark = pytest.mark.django_db

MRN_KEY = f"{MRN_SYSTEM}|MRN-1"
SYN = PatientIdentifier("SYN-9", "SYNHOSP", "PI")
SYN_KEY = "http://hospital.smarthealthit.org|SYN-9"


def aged(seconds, identifier=MRN_KEY):
    """Make the recorded row `seconds` old; returns the row as it is now."""
    when = timezone.now() - timedelta(seconds=seconds)
    assert PatientMatch.objects.filter(identifier=identifier).update(searched_at=when) == 1
    return PatientMatch.objects.get(identifier=identifier)


def stale():
    return settings.ADT_MATCH_REFRESH_SECONDS + 60


def row_state(row):
    return (row.outcome, row.patient_ref, row.candidates, row.method, row.searched_at)


def moved_logs(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("adt.match_moved")]


def test_a_fresh_match_is_reused_without_a_search(ehr):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    aged(settings.ADT_MATCH_REFRESH_SECONDS - 60)
    ehr.answers = {MRN_KEY: ["p-2"]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
    assert ehr.searched == [MRN_KEY]


def test_a_stale_match_is_searched_again_and_moves_to_the_new_patient(ehr, caplog):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    before = aged(stale())
    ehr.answers = {MRN_KEY: ["p-2"]}
    with caplog.at_level(logging.INFO, logger="smartapp.adt.matching"):
        assert match(MRN) == matching.Match(patient_ref="Patient/p-2")
    row = PatientMatch.objects.get()
    assert (row.patient_ref, row.method, row.outcome) == ("Patient/p-2", "identifier_search", "matched")
    assert row.searched_at > before.searched_at + timedelta(seconds=settings.ADT_MATCH_REFRESH_SECONDS)
    assert ehr.searched == [MRN_KEY, MRN_KEY]
    assert moved_logs(caplog) == ["adt.match_moved reason=search"]  # no identifier, no Patient id


def test_a_stale_match_found_again_is_refreshed_and_not_logged_as_moved(ehr, caplog):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    before = aged(stale())
    with caplog.at_level(logging.INFO, logger="smartapp.adt.matching"):
        assert match(MRN).patient_ref == "Patient/p-1"
    assert PatientMatch.objects.get().searched_at > before.searched_at
    assert moved_logs(caplog) == []
    assert match(MRN).patient_ref == "Patient/p-1"  # fresh again: no third search
    assert len(ehr.searched) == 2


@pytest.mark.parametrize("found", [[], ["p-2", "p-3"]], ids=["none", "several"])
def test_a_stale_match_whose_search_finds_no_one_patient_keeps_the_recorded_one(ehr, found, caplog):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    before = aged(stale())
    ehr.answers = {MRN_KEY: found}
    with caplog.at_level(logging.INFO, logger="smartapp.adt.matching"):
        assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
    assert row_state(PatientMatch.objects.get()) == row_state(before)  # not overwritten, not refreshed
    assert moved_logs(caplog) == []
    match(MRN)
    assert ehr.searched == [MRN_KEY] * 3  # the next message searches again


@pytest.mark.parametrize(
    "error",
    [EhrUnavailable(retry_after=30), EhrForbidden(), EhrBadResponse("The EHR sent something unreadable.")],
    ids=["unavailable", "forbidden", "bad_response"],
)
def test_a_stale_match_is_used_when_the_refresh_cannot_be_done_and_nothing_is_recorded(ehr, error):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    before = aged(stale())
    ehr.answers, ehr.error = {MRN_KEY: ["p-2"]}, error
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
    assert len(ehr.searched) == 2  # the refresh was tried
    assert row_state(PatientMatch.objects.get()) == row_state(before)


def test_a_stale_match_is_used_without_credentials_to_search_again(ehr, monkeypatch):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    before = aged(stale())

    def no_client(config, max_pages):
        raise matching.SyncNotPossible("no credentials")

    monkeypatch.setattr(matching, "sync_client", no_client)
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
    assert row_state(PatientMatch.objects.get()) == row_state(before)


def test_a_coordinator_link_is_never_searched_again_however_old(ehr):
    matching.match_record(connection="sandbox", identifier=MRN_KEY, patient_ref="Patient/p-5")
    before = aged(10 * 365 * 86400)
    ehr.answers = {MRN_KEY: ["p-6"]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-5")
    assert ehr.searched == []
    assert row_state(PatientMatch.objects.get()) == row_state(before)


def test_a_stale_match_moves_to_the_next_identifier_when_its_own_finds_no_one(ehr):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN, SYN)
    aged(stale())
    ehr.answers = {SYN_KEY: ["p-2"]}  # the MRN was corrected at the EHR
    assert match(MRN, SYN) == matching.Match(patient_ref="Patient/p-2")
    assert ehr.searched == [MRN_KEY, MRN_KEY, SYN_KEY]  # same order as a first search
    rows = {row.identifier: (row.outcome, row.patient_ref) for row in PatientMatch.objects.all()}
    assert rows == {MRN_KEY: ("none", ""), SYN_KEY: ("matched", "Patient/p-2")}
    assert match(MRN, SYN).patient_ref == "Patient/p-2"  # reused: no search loop on every message
    assert len(ehr.searched) == 3


@pytest.mark.parametrize(
    "reference",
    [
        "Patient/p-2",
        "http://127.0.0.1:8000/sandbox/fhir/Patient/p-2",  # the sandbox registration's FHIR base
        "HTTP://127.0.0.1:8000/sandbox/fhir/Patient/p-2/_history/3",
        "Patient/p-2/_history/3",
    ],
    ids=["relative", "absolute-this-ehr", "absolute-versioned", "versioned"],
)
@pytest.mark.parametrize("active", [False, True], ids=["inactive", "still_active"])
def test_a_replaced_by_link_is_followed_to_the_survivor(ehr, reference, active):
    ehr.answers = {MRN_KEY: ["p-1"]}
    ehr.links = {"p-1": [{"other": {"reference": reference}, "type": "replaced-by"}]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-2")
    row = PatientMatch.objects.get()
    assert (row.patient_ref, row.candidates) == ("Patient/p-2", 1)


def test_only_one_hop_of_replaced_by_is_followed(ehr):
    ehr.answers = {MRN_KEY: ["p-1"]}
    ehr.links = {
        "p-1": [{"other": {"reference": "Patient/p-2"}, "type": "replaced-by"}],
        "p-2": [{"other": {"reference": "Patient/p-3"}, "type": "replaced-by"}],
    }
    assert match(MRN).patient_ref == "Patient/p-2"


@pytest.mark.parametrize("link_type", ["seealso", "refer", "replaces"])
def test_other_link_types_are_not_followed(ehr, link_type):
    ehr.answers = {MRN_KEY: ["p-1"]}
    ehr.links = {"p-1": [{"other": {"reference": "Patient/p-2"}, "type": link_type}]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")


@pytest.mark.parametrize(
    "other",
    [
        {"reference": "RelatedPerson/r-2"},
        {"reference": "Patient/not an id"},
        {"reference": "#p2"},
        {"reference": "urn:uuid:5f1c6f0e-2b5d-4c53-9a7e-1d8e0f3b9a11"},
        {"reference": "Patient?identifier=x"},
        {"display": "the other record"},
        "Patient/p-2",
    ],
    ids=["related_person", "bad_id", "contained", "urn_uuid", "conditional", "no_reference", "not_an_object"],
)
def test_a_replaced_by_link_to_anything_but_a_patient_id_is_ignored(ehr, other):
    ehr.answers = {MRN_KEY: ["p-1"]}
    ehr.links = {"p-1": [{"other": other, "type": "replaced-by"}]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
    assert PatientMatch.objects.get().patient_ref == "Patient/p-1"


def test_a_stale_match_moves_to_the_survivor_of_a_merge(ehr, caplog):
    ehr.answers = {MRN_KEY: ["p-1"]}
    match(MRN)
    aged(stale())
    ehr.links = {"p-1": [{"other": {"reference": "Patient/p-2"}, "type": "replaced-by"}]}
    with caplog.at_level(logging.INFO, logger="smartapp.adt.matching"):
        assert match(MRN) == matching.Match(patient_ref="Patient/p-2")
    assert PatientMatch.objects.get().patient_ref == "Patient/p-2"
    assert moved_logs(caplog) == ["adt.match_moved reason=replaced_by"]


@pytest.mark.parametrize(
    ("found", "links", "expected"),
    [
        (["p-1", "p-2"], {"p-1": "p-2"}, "Patient/p-2"),  # the merged-away record found with its survivor
        (["p-1", "p-3"], {"p-1": "p-2", "p-3": "p-2"}, "Patient/p-2"),  # two merged into a third
        (["p-1", "p-2", "p-3"], {"p-1": "p-2"}, ""),  # and another patient: several
        (["p-1", "p-2"], {}, ""),  # two records, no merge: several
    ],
    ids=["with-survivor", "into-a-third", "and-another", "no-merge"],
)
def test_several_patients_found_match_only_when_they_all_stand_for_one(ehr, found, links, expected):
    ehr.answers = {MRN_KEY: found}
    ehr.links = {
        merged: [{"other": {"reference": f"Patient/{survivor}"}, "type": "replaced-by"}]
        for merged, survivor in links.items()
    }
    result = match(MRN)
    assert result == (
        matching.Match(patient_ref=expected) if expected else matching.Match(reason="several_matches")
    )
    row = PatientMatch.objects.get()
    assert (row.outcome, row.patient_ref, row.candidates) == (
        ("matched" if expected else "several"), expected, len(found))  # fmt: skip


@pytest.mark.parametrize(
    "reference",
    [
        "https://mpi.other.example/fhir/Patient/p-2",  # another server: p-2 there is not p-2 here
        "http://127.0.0.1:8001/sandbox/fhir/Patient/p-2",  # another port
        "http://127.0.0.1:8000/other/fhir/Patient/p-2",  # another base on the same host
        "http://127.0.0.1:8000/sandbox/fhir/x/Patient/p-2",
    ],
    ids=["other-server", "other-port", "other-base", "deeper-path"],
)
def test_a_replaced_by_link_to_another_server_is_not_followed(ehr, reference):
    ehr.answers = {MRN_KEY: ["p-1"]}
    ehr.links = {"p-1": [{"other": {"reference": reference}, "type": "replaced-by"}]}
    assert match(MRN) == matching.Match(patient_ref="Patient/p-1")
