"""`manage.py verify_audit` finds the first changed, removed, inserted or reordered event by its seq.

Every tampering goes through raw SQL with the triggers off (the `tamper` fixture), as someone holding the
database owner's rights but not the HMAC key could do it. Seqs come from the events themselves: a
PostgreSQL sequence does not restart between tests."""

import pytest
from django.test import RequestFactory

from smartapp.audit import chain as audit_chain
from smartapp.audit.models import AuditEvent
from smartapp.audit.services import audit_record

TABLE = "audit_auditevent"
COLUMNS = (
    "ts, action, outcome, user_id, fhir_user, issuer, launch_id, patient_ref, resource_types, detail, ip, "
    "user_agent, key_id"
)


@pytest.fixture
def seqs(chain):
    return [event.seq for event in chain]


def test_an_intact_chain_passes_with_its_count_and_head(chain, verify):
    status, out, _ = verify()
    assert status == 0
    assert "audit chain intact: 5 events" in out
    assert f"head {chain[-1].seq}:{chain[-1].mac}" in out


def test_an_empty_chain_passes(db, verify):
    status, out, _ = verify()
    assert status == 0 and "0 events" in out and "head none" in out


def test_it_names_a_changed_event(seqs, tamper, verify):
    tamper(f"UPDATE {TABLE} SET patient_ref = 'someone-else' WHERE seq = %s", [seqs[2]])
    status, _, error = verify()
    assert status == 1
    assert f"broken at seq {seqs[2]}: changed" in error
    assert "2 events before it are intact" in error


@pytest.mark.parametrize(
    "column, value",
    [("ts", "2001-01-01 00:00:00+00:00"), ("outcome", "403"), ("detail", '{"n": 99}'), ("key_id", 0)],
)
def test_any_chained_column_changed_is_caught(seqs, tamper, verify, settings, column, value):
    settings.AUDIT_HMAC_KEYS = [*settings.AUDIT_HMAC_KEYS, "a second key"]
    newest = audit_record(action="logout", outcome="success")  # under key 1: key_id 0 is a change
    seq = newest.seq if column == "key_id" else seqs[3]
    tamper(f"UPDATE {TABLE} SET {column} = %s WHERE seq = %s", [value, seq])
    assert f"broken at seq {seq}: changed" in verify()[2]


def test_a_mac_recomputed_without_the_key_is_caught(seqs, tamper, verify, settings):
    event = AuditEvent.objects.get(seq=seqs[1])
    event.outcome = "403"
    real_keys = settings.AUDIT_HMAC_KEYS
    settings.AUDIT_HMAC_KEYS = ["a key the attacker guessed"]
    forged_mac = audit_chain.mac_for(event, event.prev_mac)
    settings.AUDIT_HMAC_KEYS = real_keys
    tamper(f"UPDATE {TABLE} SET outcome = '403', mac = %s WHERE seq = %s", [forged_mac, seqs[1]])
    tamper(f"UPDATE {TABLE} SET prev_mac = %s WHERE seq = %s", [forged_mac, seqs[2]])  # re-linked the next
    assert f"broken at seq {seqs[1]}: changed" in verify()[2]


def test_an_unknown_key_id_is_caught(seqs, tamper, verify):
    tamper(f"UPDATE {TABLE} SET key_id = 9 WHERE seq = %s", [seqs[4]])
    error = verify()[2]
    assert f"broken at seq {seqs[4]}: changed" in error and "key id is unknown" in error


def test_it_names_the_event_after_a_deleted_one(seqs, tamper, verify):
    tamper(f"DELETE FROM {TABLE} WHERE seq = %s", [seqs[2]])
    status, _, error = verify()
    assert status == 1
    assert f"broken at seq {seqs[3]}: removed" in error
    assert f"between seq {seqs[1]} and {seqs[3]}" in error


def test_it_catches_deleted_first_events(seqs, tamper, verify):
    tamper(f"DELETE FROM {TABLE} WHERE seq <= %s", [seqs[1]])
    assert f"broken at seq {seqs[2]}: removed" in verify()[2]


def test_it_names_a_forged_event_inserted_mid_chain(seqs, tamper, verify):
    tamper(f"UPDATE {TABLE} SET seq = seq + 1000 WHERE seq > %s", [seqs[2]])  # make room after the third
    forged = COLUMNS.replace("patient_ref", "'p-forged'")  # chained to the third, with a made-up mac
    tamper(
        f"INSERT INTO {TABLE} (seq, {COLUMNS}, prev_mac, mac) SELECT %s, {forged}, mac, %s FROM {TABLE} "
        "WHERE seq = %s",
        [seqs[3], "f" * 64, seqs[2]],
    )
    status, _, error = verify()
    assert status == 1
    assert f"broken at seq {seqs[3]}: inserted" in error


def test_it_names_a_copied_event_inserted_mid_chain(seqs, tamper, verify):
    tamper(f"UPDATE {TABLE} SET seq = seq + 1000 WHERE seq > %s", [seqs[2]])
    tamper(
        f"INSERT INTO {TABLE} (seq, {COLUMNS}, prev_mac, mac) SELECT %s, {COLUMNS}, prev_mac, mac "
        f"FROM {TABLE} WHERE seq = %s",
        [seqs[3], seqs[0]],
    )
    assert f"broken at seq {seqs[3]}: inserted" in verify()[2]


def test_it_names_a_reordered_pair(seqs, tamper, verify):
    third, fourth = seqs[2], seqs[3]
    tamper(f"UPDATE {TABLE} SET seq = -seq WHERE seq IN (%s, %s)", [third, fourth])
    tamper(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [fourth, -third])
    tamper(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [third, -fourth])
    status, _, error = verify()
    assert status == 1
    assert f"broken at seq {third}: reordered" in error and f"seq {fourth}" in error


def test_a_truncated_tail_is_caught_only_against_a_recorded_head(seqs, tamper, verify):
    head = verify()[1].split("head ")[1].strip()
    tamper(f"DELETE FROM {TABLE} WHERE seq >= %s", [seqs[3]])
    assert verify()[0] == 0  # what is left still chains: only an anchor kept elsewhere shows the loss
    status, _, error = verify("--expect-head", head)
    assert status == 1
    assert f"broken at seq {seqs[4]}: truncated" in error


def test_a_recorded_head_still_passes_as_the_chain_grows(chain, verify):
    head = verify()[1].split("head ")[1].strip()
    audit_record(action="logout", outcome="success")
    status, out, _ = verify("--expect-head", head)
    assert status == 0 and "6 events" in out


def test_a_recorded_head_whose_mac_differs_is_caught(seqs, verify):
    status, _, error = verify("--expect-head", f"{seqs[2]}:{'a' * 64}")
    assert status == 1 and f"broken at seq {seqs[2]}: changed" in error


def test_a_malformed_head_is_refused(chain, verify):
    status, _, error = verify("--expect-head", "3:abc")
    assert status == 1 and "--expect-head" in error


def test_events_under_an_older_key_still_verify_after_rotation(chain, verify, settings):
    settings.AUDIT_HMAC_KEYS = [*settings.AUDIT_HMAC_KEYS, "the new key"]
    newer = audit_record(action="logout", outcome="success")
    assert newer.key_id == 1
    status, out, _ = verify("--chunk-size", "2")  # streamed across several fetches
    assert status == 0 and "6 events" in out


def test_events_read_back_from_the_database_verify(db, verify):
    # Values the database may rewrite (PostgreSQL's inet, jsonb) must be chained in their stored form.
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0::1", HTTP_USER_AGENT="Mözilla\x00/5.0")
    audit_record(action="fhir.read", outcome="200", request=request, detail={"b": [1, 2.5], "a": "é"})
    audit_record(action="fhir.read", outcome="200", request=RequestFactory().get("/", REMOTE_ADDR="::1"))
    assert verify()[0] == 0
