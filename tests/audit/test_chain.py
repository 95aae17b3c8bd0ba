import pytest

from smartapp.audit import chain
from smartapp.audit.models import AppendOnly, AuditEvent
from smartapp.audit.services import audit_record, audit_record_many


def test_events_chain_to_the_one_before(db):
    first = audit_record(action="launch.begin", outcome="redirected", issuer="https://ehr.example/fhir")
    second = audit_record(action="fhir.read", outcome="200", patient_ref="p1", resource_types=["Patient"])

    assert first.prev_mac == chain.GENESIS
    assert second.prev_mac == first.mac
    assert second.mac == chain.mac_for(second, first.mac)


def test_a_changed_field_no_longer_matches_its_mac(db):
    event = audit_record(action="fhir.read", outcome="200", patient_ref="p1")
    event.patient_ref = "p2"
    assert chain.mac_for(event, event.prev_mac) != event.mac


def test_events_cannot_be_updated_or_deleted_through_the_orm(db):
    event = audit_record(action="logout", outcome="success")
    event.outcome = "changed"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).outcome == "success"


def test_a_batch_appended_in_one_statement_chains_and_gets_its_seqs(db):
    before = audit_record(action="launch.begin", outcome="redirected")
    batch = audit_record_many(
        [{"action": "adt.received", "outcome": "accepted", "detail": {"n": n}} for n in range(3)]
    )

    stored = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in stored] == [before.seq] + [e.seq for e in batch]
    assert [e.detail for e in stored[1:]] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [e.prev_mac for e in batch] == [before.mac, batch[0].mac, batch[1].mac]
    assert all(e.mac == chain.mac_for(e, e.prev_mac) for e in stored)
