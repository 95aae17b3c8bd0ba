"""One stay, one item: a discharge (or an encounter) known first from the ADT feed and then from the FHIR
sync, or the other way round, is one row; a re-sync changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smartapp.adt import matching
from smartapp.adt.process import adt_process_pending
from smartapp.referrals import mappers
from smartapp.referrals.models import Evidence, Referral
from smartapp.referrals.store import referral_page_store
from tests.adt.hl7_messages import START, raw, store
from tests.adt.test_matching import FakeEhr

pytestmark = pytest.mark.django_db

VISIT_SYSTEM = "https://sandbox.smartapp.example/fhir/visit"
VN = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "VN"}]}


@pytest.fixture(autouse=True)
def ehr(monkeypatch):
    fake = FakeEhr({"https://sandbox.smartapp.example/fhir/mrn|MRN-1": ["p-1"]})
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)


def encounter(*, id="e-1", visit="V1", klass="IMP", updated=None, status="finished") -> dict:
    ended = START + timedelta(hours=1)
    return {
        "resourceType": "Encounter",
        "id": id,
        "meta": {"lastUpdated": (updated or timezone.now()).isoformat(), "versionId": "1"},
        "identifier": [{"system": VISIT_SYSTEM, "type": VN, "value": visit}],
        "status": status,
        "class": {"code": klass},
        "subject": {"reference": "Patient/p-1"},
        "period": {"start": START.isoformat(), "end": ended.isoformat()},
    }


def sync(*resources):
    return referral_page_store(
        connection="sandbox", resource_type="Encounter", resources=list(resources), today=timezone.localdate()
    )


def test_the_mapper_reads_the_visit_number_of_the_registrations_system_else_the_one_typed_vn():
    resource = encounter()
    resource["identifier"].insert(0, {"type": VN, "value": "OTHER"})
    assert mappers.discharge(resource, visit_system=VISIT_SYSTEM).visit_number == "V1"
    assert mappers.discharge(resource).visit_number == "OTHER"
    assert mappers.encounter(encounter(klass="AMB")).visit_number == "V1"
    assert mappers.visit_number({"identifier": [{"system": "urn:x", "value": "V3"}]}) == ""


def test_a_discharge_from_adt_becomes_the_encounters_row_when_the_sync_brings_it():
    store(raw("A01", 0), raw("A03", 60))
    adt_process_pending()
    adt_row = Referral.objects.get()
    store(raw("A04", 24 * 60, visit="V2", patient_class="O"))
    adt_process_pending()
    assert Evidence.objects.get(fhir_ref="adt-visit/V2", link="inferred").target_ref == "adt-visit/V1"

    sync(encounter(updated=timezone.now() + timedelta(minutes=1)))
    row = Referral.objects.get()
    assert (row.pk, row.fhir_ref, row.visit_number) == (adt_row.pk, "Encounter/e-1", "V1")
    assert Evidence.objects.get(fhir_ref="adt-visit/V2", link="inferred").target_ref == "Encounter/e-1"
    assert row.state == "completed"

    summary = sync(encounter(updated=timezone.now() + timedelta(minutes=1)))  # a re-sync
    assert Referral.objects.count() == 1 and summary.created == 0


def test_adt_after_the_sync_updates_the_encounters_row_when_newer():
    sync(encounter(updated=START))
    store(raw("A01", 0), raw("A03", 60), raw("A13", 70))
    adt_process_pending()
    row = Referral.objects.get()
    assert (row.fhir_ref, row.request_status, row.state) == ("Encounter/e-1", "cancelled", "cancelled")
    assert row.adt_messages.count() == 3


def test_adt_older_than_the_encounters_row_leaves_it_as_the_sync_wrote_it():
    sync(encounter(updated=timezone.now()))
    store(raw("A01", 0), raw("A03", 60), raw("A13", 70))
    adt_process_pending()
    row = Referral.objects.get()
    assert (row.fhir_ref, row.request_status) == ("Encounter/e-1", "finished")


def test_an_outpatient_visit_from_adt_becomes_the_encounters_evidence_in_either_order():
    store(raw("A04", 0, visit="V5", patient_class="O"))
    adt_process_pending()
    sync(encounter(id="e-5", visit="V5", klass="AMB", updated=timezone.now() + timedelta(minutes=1)))
    assert list(Evidence.objects.values_list("fhir_ref", "visit_number")) == [("Encounter/e-5", "V5")]

    sync(encounter(id="e-6", visit="V6", klass="AMB", updated=START))
    store(raw("A04", 0, visit="V6", patient_class="O"))
    adt_process_pending()
    assert Evidence.objects.filter(visit_number="V6").get().fhir_ref == "Encounter/e-6"
