import pytest

from smartapp.audit import chain
from smartapp.audit.models import AppendOnly, AuditEvent
from smartapp.audit.services import audit_record


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
