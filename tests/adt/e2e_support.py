"""The ADT feed end to end: the seeded sandbox on the live server (its FHIR API answers the patient search),
smartapp's real listener in a thread of this process with processing on (a subprocess could not share the
test's in-memory SQLite database), and the sandbox's sender pointed at it. Helpers wait on conditions with a
deadline and read back what was stored."""

import functools
import io
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from smartapp.adt import background, process, writer
from smartapp.adt.models import PENDING, InboundMessage
from smartapp.referrals.models import Referral
from smartapp.sandbox.adt.feed import parse_target
from smartapp.sandbox.adt.messages import MRN_SYSTEM, Visit, adt_message
from smartapp.sandbox.adt.mllp import Delivery, MllpClient, Outgoing
from smartapp.sandbox.adt.stays import load, stay_end, stay_open, visit_of
from smartapp.sandbox.synthetic.visits import visit_number
from tests.adt.listener_harness import listening

DEADLINE = 10.0  # seconds: the "on the worklist within seconds", with room for a slow machine
DELIVERY = re.compile(r"^(SBX[0-9A-F]+) ack=(\S+) attempts=(\d+)$", re.MULTILINE)
SAVED = re.compile(r"^encounter (\S+) saved$", re.MULTILINE)


# The test database is SQLite in memory, shared between threads through SQLite's shared cache, where a
# second writer (or a writer meeting a reader of its table) fails at once with "database table is locked"
# instead of waiting as on a SQLite file (busy timeout) or PostgreSQL (row locks): the listener would answer
# AE 207 and processing would fail a round. So the listener's two database users here (the batch writer and
# the processing thread) and this test's own reads take turns; concurrency between them is tested on
# PostgreSQL (tests/services/test_adt_listener_pg.py) and on a SQLite file (test_listener_processes.py).
_turn = threading.RLock()


def _in_turn(function):
    @functools.wraps(function)
    def call(*args, **kwargs):
        with _turn:
            return function(*args, **kwargs)

    return call


@pytest.fixture(name="feed")
def feed_fixture(settings, monkeypatch):
    """smartapp's listener (processing on) on a free loopback port, and the sandbox's sender aimed at it.
    Use with the `ehr` or `app_url` fixture, which seed the sandbox on the live server."""
    monkeypatch.setattr(writer, "store_batch", _in_turn(writer.store_batch))
    monkeypatch.setattr(process, "adt_process_pending", _in_turn(process.adt_process_pending))
    monkeypatch.setattr(background, "app_acks_send", _in_turn(background.app_acks_send))
    with listening(process=True) as running:
        host, port = running.address
        settings.SANDBOX_ADT_TARGET = f"{host}:{port}"
        yield running


def sandbox_adt(*args: str) -> str:
    """`manage.py sandbox_adt ARGS` as an operator runs it; its standard output."""
    out = io.StringIO()
    call_command("sandbox_adt", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def acked(output: str) -> list[tuple[str, str]]:
    """(control id, ACK code) of each delivery the command reported, in its order."""
    return [(control_id, ack) for control_id, ack, _ in DELIVERY.findall(output)]


def saved_encounter(output: str) -> str:
    """The id of the Encounter an `admit` or `discharge` saved."""
    return SAVED.search(output)[1]


def wait_for(condition, *, what: str, timeout: float = DEADLINE):
    """`condition()`'s first truthy value, polled until `timeout` seconds have passed, else a failure."""
    deadline = time.monotonic() + timeout
    while True:
        with _turn:
            value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.05)


def settled(control_ids) -> bool:
    """Whether every message with these control ids is stored and processed to an end (not pending)."""
    rows = InboundMessage.objects.filter(control_id__in=set(control_ids))
    stored = set(rows.values_list("control_id", flat=True))
    return stored == set(control_ids) and not rows.filter(status=PENDING).exists()


def wait_settled(control_ids) -> None:
    wait_for(lambda: settled(control_ids), what="every message stored and processed")


def stored_counts(control_ids) -> Counter:
    """How many InboundMessage rows each control id has (the answer must be 1 for each)."""
    rows = InboundMessage.objects.filter(control_id__in=set(control_ids))
    return Counter(rows.values_list("control_id", flat=True))


def follow_ups(encounter_id: str) -> list[Referral]:
    """The discharge follow-ups stored for the Encounter's visit (there must be one)."""
    visit = visit_number(encounter_id)
    return list(Referral.objects.filter(connection="sandbox", kind="discharge", visit_number=visit))


def stay_ended(patient_id: str) -> dict:
    """A new three-day inpatient stay of the patient, ended now at the sandbox (not announced): a visit
    whose follow-up is due in the future, whatever stays the seeded patient already had."""
    now = datetime.now(UTC)
    stay = stay_open(patient_id=patient_id, now=now - timedelta(days=3))
    return stay_end(encounter_id=stay["id"], now=now)


def discharges_sent(patient_ids, *, faults=frozenset()) -> tuple[list[str], list[Delivery]]:
    """One A03 per patient, each about a new stay (stay_ended), sent by the sandbox's MLLP client on one
    connection; the Encounter ids and the deliveries."""
    now = datetime.now(UTC)
    encounters = [stay_ended(patient_id) for patient_id in patient_ids]
    outgoing = []
    for n, encounter in enumerate(encounters):
        control_id = f"SBXE2E{n:06d}"
        payload = adt_message("A03", visit_of(encounter), control_id=control_id, sent_at=now)
        outgoing.append(Outgoing(control_id, payload, now))
    client = MllpClient(*parse_target(settings.SANDBOX_ADT_TARGET))
    deliveries = client.deliver(outgoing, faults=frozenset(faults))
    return [encounter["id"] for encounter in encounters], deliveries


def sandbox_mrn(patient_id: str) -> str:
    """The MRN the sandbox EHR shows for the patient (as a coordinator reads it in the EHR)."""
    identifiers = load("Patient", patient_id).get("identifier", [])
    return next(i["value"] for i in identifiers if i.get("system") == MRN_SYSTEM)


def unknown_patient_discharge_sent(patient_id: str, *, mrn: str) -> tuple[str, list[Delivery]]:
    """An A03 about a new stay of the patient, whose PID-3 carries an MRN the sandbox has on no Patient
    (as when the hospital's registration and the EHR disagree); the Encounter id and the delivery."""
    encounter = stay_ended(patient_id)
    patient = load("Patient", patient_id)
    unknown = {"system": MRN_SYSTEM, "value": mrn}
    patient = {**patient, "identifier": [unknown]}
    now = datetime.now(UTC)
    visit = Visit(patient=patient, encounter=encounter)
    payload = adt_message("A03", visit, control_id="SBXE2EUNKNOWN", sent_at=now)
    client = MllpClient(*parse_target(settings.SANDBOX_ADT_TARGET))
    return encounter["id"], client.deliver([Outgoing("SBXE2EUNKNOWN", payload, now)])
