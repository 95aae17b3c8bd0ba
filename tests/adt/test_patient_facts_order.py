"""Patient facts have a clock (Referral.patient_facts_at), per patient: an ADT message writes the name,
MRN, birth date and phone only when its visit's newest MSH-7 is later than every stamp the patient's items
hold, and a FHIR read (stamped with the time of the read) always applies. A late resend or a parked message
linked days later never undoes a newer read, and a new item shows the patient's newest facts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smartapp.adt import matching
from smartapp.adt.models import PROCESSED, InboundMessage
from smartapp.adt.process import adt_process_pending
from smartapp.referrals.models import Referral
from smartapp.referrals.store import referral_page_store

from .hl7_messages import START, raw, store
from .test_matching import FakeEhr

pytestmark = pytest.mark.django_db

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
VN = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "VN"}]}


@pytest.fixture(autouse=True)
def ehr(monkeypatch):
    fake = FakeEhr({"https://sandbox.smartapp.example/fhir/mrn|MRN-1": ["p-1"]})
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)


def at(minutes: int):
    return START + timedelta(minutes=minutes)


def fhir_read(minutes: int, *, phone: str = "555-0300", resource_type: str = "Patient", also=()) -> None:
    """The sync reads Patient/p-1 (and `also`) `minutes` after START."""
    patient = {
        "resourceType": "Patient",
        "id": "p-1",
        "name": [{"text": "Sample Name"}],
        "identifier": [{"type": MR, "value": "MRN-1"}],
        "telecom": [{"system": "phone", "value": phone}],
    }
    referral_page_store(
        connection="sandbox",
        resource_type=resource_type,
        resources=[*also, patient],
        today=timezone.localdate(),
        read_at=at(minutes),
    )


def without_msh_7(message: bytes) -> bytes:
    msh, *rest = message.split(b"\r")
    fields = msh.split(b"|")
    fields[6] = b""  # MSH-7 (MSH-1 is the field separator itself)
    return b"\r".join([b"|".join(fields), *rest])


def facts(fhir_ref: str = "adt-visit/V1") -> tuple:
    row = Referral.objects.get(fhir_ref=fhir_ref)
    return (row.patient_display, row.patient_phone, row.patient_facts_at)


def discharged_then_read(read_minutes: int = 120) -> None:
    """A01 and A03 of V1 (facts stamped with the A03's MSH-7), then a FHIR read."""
    store(raw("A01", 0), raw("A03", 60))
    assert adt_process_pending().processed == 2
    assert facts() == ("Ann Doe", "555-0100", at(60))
    fhir_read(read_minutes)
    assert facts() == ("Sample Name", "555-0300", at(read_minutes))


@pytest.mark.parametrize("visit", ["V1", ""])  # with its visit (the discharge is stored again), or alone
def test_an_update_older_than_the_last_fhir_read_changes_no_patient_fact(visit):
    discharged_then_read(120)
    (message,) = store(raw("A08", 90, visit=visit, name="Doe^Anna", phone="555-0199"))
    assert adt_process_pending().processed == 1
    message.refresh_from_db()
    assert message.status == PROCESSED
    assert facts() == ("Sample Name", "555-0300", at(120))
    row = Referral.objects.get()
    assert row.patient_mrn == "MRN-1"
    assert row.version_id == ("3" if visit else "2")  # the visit's row was written; its name was kept


def test_an_update_newer_than_the_last_fhir_read_writes_its_facts_and_stamps_its_msh_7():
    discharged_then_read(120)
    store(raw("A08", 180, visit="", name="Doe^Anna", phone="555-0199"))
    assert adt_process_pending().processed == 1
    assert facts() == ("Anna Doe", "555-0199", at(180))


def test_a_fhir_read_after_the_update_wins_again():
    discharged_then_read(120)
    store(raw("A08", 180, visit="", name="Doe^Anna", phone="555-0199"))
    adt_process_pending()
    fhir_read(240, phone="555-0400")
    assert facts() == ("Sample Name", "555-0400", at(240))
    store(raw("A08", 200, visit="", name="Doe^Annie", phone="555-0500"))  # a late resend, older than the read
    assert adt_process_pending().processed == 1
    assert facts() == ("Sample Name", "555-0400", at(240))


def test_an_item_never_stamped_takes_the_patients_newest_facts_not_an_older_updates():
    discharged_then_read(120)
    Referral.objects.create(connection="sandbox", fhir_ref="ServiceRequest/sr-9", patient_ref="Patient/p-1")
    store(raw("A08", 90, visit="", name="Doe^Anna", phone="555-0199"))
    adt_process_pending()
    assert facts("ServiceRequest/sr-9") == ("Sample Name", "555-0300", at(120))  # the read's, as the others
    assert Referral.objects.get(fhir_ref="ServiceRequest/sr-9").patient_mrn == "MRN-1"
    assert facts() == ("Sample Name", "555-0300", at(120))


def test_a_late_discharge_of_another_visit_shows_the_patients_newest_facts():
    # Found in review: a new item made by an older message showed the older name and phone beside the
    # newer ones of the patient's other items.
    discharged_then_read(120)
    store(raw("A01", 30, visit="V2"), raw("A03", 90, visit="V2", name="Doe^Anna", phone="555-0199"))
    assert adt_process_pending().processed == 2
    assert facts("adt-visit/V2") == ("Sample Name", "555-0300", at(120))
    assert facts() == ("Sample Name", "555-0300", at(120))


def test_an_update_without_msh_7_gives_way_to_stamped_facts():
    discharged_then_read(120)
    Referral.objects.create(connection="sandbox", fhir_ref="ServiceRequest/sr-9", patient_ref="Patient/p-1")
    (message,) = store(without_msh_7(raw("A08", 0, visit="", name="Doe^Anna", phone="555-0199")))
    assert message.message_time is None
    assert adt_process_pending().processed == 1
    assert facts("ServiceRequest/sr-9") == ("Sample Name", "555-0300", at(120))
    assert facts() == ("Sample Name", "555-0300", at(120))


def test_an_update_without_msh_7_writes_a_patient_nothing_stamped():
    Referral.objects.create(connection="sandbox", fhir_ref="ServiceRequest/sr-9", patient_ref="Patient/p-1")
    store(without_msh_7(raw("A08", 0, visit="", name="Doe^Anna", phone="555-0199")))
    assert adt_process_pending().processed == 1
    assert facts("ServiceRequest/sr-9") == ("Anna Doe", "555-0199", None)


@pytest.mark.parametrize(
    ("read_minutes", "expected"),
    [
        (120, ("Sample Name", "555-0300", at(120))),  # read after the A03: the read's facts stay
        (30, ("Anna Doe", "555-0199", at(60))),  # read before it: the A03's facts are newer
    ],
)
def test_a_discharge_written_over_the_encounters_row_keeps_a_newer_fhir_name(read_minutes, expected):
    encounter = {
        "resourceType": "Encounter",
        "id": "e-1",
        "meta": {"lastUpdated": (START - timedelta(days=1)).isoformat(), "versionId": "1"},
        "identifier": [{"system": "https://sandbox.smartapp.example/fhir/visit", "type": VN, "value": "V1"}],
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": {"reference": "Patient/p-1"},
        "period": {"start": START.isoformat(), "end": at(60).isoformat()},
    }
    fhir_read(read_minutes, resource_type="Encounter", also=[encounter])
    store(raw("A01", 0, name="Doe^Anna", phone="555-0199"), raw("A03", 60, name="Doe^Anna", phone="555-0199"))
    assert adt_process_pending().processed == 2
    row = Referral.objects.get()
    assert (row.fhir_ref, row.requester_display) == ("Encounter/e-1", "Dr One")  # the A03 was written
    assert facts("Encounter/e-1") == expected
    assert InboundMessage.objects.filter(status=PROCESSED, referral=row).count() == 2
