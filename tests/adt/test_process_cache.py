"""The process-wide parse cache: a visit's stored messages are parsed once per process, not once per run
(a long stay's A08s arriving one at a time), within bounds, and never mistaken for other bytes."""

from collections import Counter

import pytest
from django.db import connection, transaction

from smartapp.adt import process, zones
from smartapp.adt.models import PROCESSED, InboundMessage
from smartapp.adt.parse import parse_message
from smartapp.adt.parse_cache import ParseCache
from smartapp.referrals.models import Referral

from .hl7_messages import raw, store
from .test_process import ehr  # noqa: F401  the fake EHR fixture
from .test_process import process as process_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def parses(monkeypatch) -> list[bytes]:
    """A fresh process-wide cache, and the raw bytes of every parse_message call processing makes."""
    calls = []

    def counted(raw_bytes: bytes):
        calls.append(raw_bytes)
        return parse_message(raw_bytes)

    monkeypatch.setattr(process, "parse_cache", ParseCache())
    monkeypatch.setattr(zones, "parse_message", counted)
    return calls


def test_a_later_run_does_not_parse_the_visits_stored_messages_again(ehr, parses):  # noqa: F811
    admit, update, discharge = raw("A01", 0), raw("A08", 30, phone="555-0142"), raw("A03", 60, phone="")
    for message in (admit, update, discharge):
        store(message)
        assert process_due().processed == 1

    assert parses == [admit, update, discharge]  # each once, though each run re-read the whole visit
    assert InboundMessage.objects.filter(status=PROCESSED).count() == 3
    assert Referral.objects.get(kind="discharge").patient_phone == "555-0142"


def test_without_the_cache_each_run_parses_the_whole_visit_again(ehr, parses, monkeypatch):  # noqa: F811
    monkeypatch.setattr(process, "parse_cache", ParseCache(entries=0))  # the benchmark's baseline
    admit, update, discharge = raw("A01", 0), raw("A08", 30), raw("A03", 60)
    for message in (admit, update, discharge):
        store(message)
        process_due()

    assert Counter(parses) == {admit: 3, update: 2, discharge: 1}


def test_the_cache_keeps_at_most_its_entries_dropping_the_least_recently_used(parses):
    cache = ParseCache(entries=2)
    first, second, third = raw("A08", 1), raw("A08", 2), raw("A08", 3)
    cache.parse(first)
    cache.parse(second)
    cache.parse(first)  # used again: now the most recent
    cache.parse(third)  # drops `second`

    assert len(cache) == 2
    parses.clear()
    cache.parse(first)
    cache.parse(third)
    assert parses == []
    cache.parse(second)
    assert parses == [second]


def test_the_cache_keeps_at_most_its_raw_bytes_and_never_a_larger_message(parses):
    small, other = raw("A08", 1), raw("A08", 2)
    cache = ParseCache(entries=100, raw_bytes=len(small) + len(other) - 1)
    cache.parse(small)
    cache.parse(other)  # both would exceed the bytes: `small` goes

    assert len(cache) == 1
    huge = raw("A08", 3, name="Doe^" + "A" * 2 * len(small))
    cache.parse(huge)
    assert len(cache) == 1 and cache.parse(other).header.control_id in other.decode()
    parses.clear()
    cache.parse(huge)
    assert parses == [huge]  # larger than the whole budget: parsed each time, never kept


def test_an_unparseable_message_is_remembered_as_such(parses):
    cache = ParseCache()
    assert cache.parse(b"not hl7") is None
    assert cache.parse(b"not hl7") is None
    assert parses == [b"not hl7"]


def test_a_row_id_given_again_to_other_bytes_gets_their_parse(ehr, parses):  # noqa: F811
    with pytest.raises(RuntimeError), transaction.atomic():
        (first,) = store(raw("A03", 60, visit="V1", phone="555-0111"))
        assert process_due().processed == 1
        raise RuntimeError("roll back: on SQLite the next insert gets the same id")
    (second,) = store(raw("A03", 60, visit="V2", phone="555-0122"))
    if connection.vendor == "sqlite":  # PostgreSQL's sequences never give an id again
        assert second.pk == first.pk

    assert process_due().processed == 1
    row = Referral.objects.get(kind="discharge")
    assert (row.visit_number, row.patient_phone) == ("V2", "555-0122")
    assert len(parses) == 2  # the second message's own bytes were parsed, whatever its id
