"""The FHIR sync stamps the patient facts it writes with the time of its read (Referral.patient_facts_at),
which the ADT feed compares its MSH-7 with (tests/adt/test_patient_facts_order.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from smartapp.referrals import store
from smartapp.referrals.models import Referral
from smartapp.referrals.patient_facts import V2_0203, PatientFacts
from smartapp.referrals.store_names import patients_fill_known, patients_update

from . import fhir

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)
READ = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
FACTS = PatientFacts(name="Sample Name", mrn="MRN-1", birth_date=date(1976, 12, 6), phone="555-0107")


def item(fhir_ref: str, patient_ref: str = "Patient/p-1", **values) -> Referral:
    return Referral.objects.create(connection="sandbox", fhir_ref=fhir_ref, patient_ref=patient_ref, **values)


def stamps() -> dict[str, datetime | None]:
    return dict(Referral.objects.values_list("fhir_ref", "patient_facts_at"))


def test_a_read_stamps_every_item_of_its_patients_changed_or_not():
    item("ServiceRequest/sr-1")
    item("ServiceRequest/sr-2")
    item("ServiceRequest/other", patient_ref="Patient/p-2")
    assert patients_update("sandbox", {"Patient/p-1": FACTS}, read_at=READ) == 2
    assert stamps() == {
        "ServiceRequest/sr-1": READ,
        "ServiceRequest/sr-2": READ,
        "ServiceRequest/other": None,
    }

    later = READ + timedelta(hours=1)
    assert patients_update("sandbox", {"Patient/p-1": FACTS}, read_at=later) == 0  # same facts, read again
    assert stamps()["ServiceRequest/sr-1"] == later


def test_a_live_read_applies_over_facts_stamped_later_and_takes_its_own_time():
    # A sender's MSH-7 ahead of the clock stamped the facts after now: a live read still describes the EHR.
    item(
        "ServiceRequest/sr-1",
        patient_display="Old Name",
        patient_phone="555-0001",
        patient_facts_at=timezone.now().replace(year=2030),
    )
    before = timezone.now()
    patients_update("sandbox", {"Patient/p-1": FACTS})
    row = Referral.objects.get()
    assert (row.patient_display, row.patient_phone) == ("Sample Name", "555-0107")
    assert before <= row.patient_facts_at <= timezone.now()


def test_a_page_of_an_earlier_moment_leaves_facts_newer_than_it():
    # An export's files describe its transactionTime; an ADT update stamped after it is newer.
    item("ServiceRequest/sr-1", patient_display="Newer Name", patient_phone="555-0002", patient_facts_at=READ)
    item("ServiceRequest/sr-2", patient_display="Old Name", patient_facts_at=READ - timedelta(days=1))
    item("ServiceRequest/sr-3")  # never stamped
    assert patients_update("sandbox", {"Patient/p-1": FACTS}, read_at=READ - timedelta(hours=1)) == 2
    rows = {r.fhir_ref: (r.patient_display, r.patient_facts_at) for r in Referral.objects.all()}
    assert rows == {
        "ServiceRequest/sr-1": ("Newer Name", READ),
        "ServiceRequest/sr-2": ("Sample Name", READ - timedelta(hours=1)),
        "ServiceRequest/sr-3": ("Sample Name", READ - timedelta(hours=1)),
    }


def test_a_stored_page_stamps_its_patients_with_the_time_it_was_read():
    def put(*resources, **read):
        store.referral_page_store(
            connection="sandbox",
            resource_type="ServiceRequest",
            resources=list(resources),
            today=TODAY,
            **read,
        )

    put(fhir.service_request("sr-1"), fhir.patient(), read_at=READ)
    assert stamps() == {"ServiceRequest/sr-1": READ}
    before = timezone.now()
    put(fhir.patient())  # no read time given: now, the page having just been read
    assert before <= stamps()["ServiceRequest/sr-1"] <= timezone.now()


def test_an_item_filled_from_a_known_one_takes_its_stamp_from_the_newest():
    older, newer = READ - timedelta(days=2), READ - timedelta(days=1)
    item("ServiceRequest/sr-1", patient_mrn="MRN-OLD", patient_phone="555-0001", patient_facts_at=older)
    item("ServiceRequest/sr-2", patient_mrn="MRN-1", patient_phone="555-0107", patient_facts_at=newer)
    item("ServiceRequest/sr-3", patient_display="Own Name")  # stored from a page without the Patient
    assert patients_fill_known("sandbox", {"Patient/p-1"}) == 1
    row = Referral.objects.get(fhir_ref="ServiceRequest/sr-3")
    assert (row.patient_display, row.patient_mrn, row.patient_phone, row.patient_facts_at) == (
        "Own Name", "MRN-1", "555-0107", newer)  # fmt: skip


def test_a_page_without_the_patient_copies_the_stamp_of_the_known_facts():
    store.referral_page_store(
        connection="sandbox",
        resource_type="ServiceRequest",
        resources=[
            fhir.service_request("sr-1"),
            {**fhir.patient(), "telecom": [{"system": "phone", "value": "5"}]},
        ],
        today=TODAY,
        read_at=READ,
    )
    store.referral_page_store(
        connection="sandbox",
        resource_type="ServiceRequest",
        resources=[fhir.service_request("sr-2")],
        today=TODAY,
        read_at=READ + timedelta(hours=1),
    )
    assert stamps() == {"ServiceRequest/sr-1": READ, "ServiceRequest/sr-2": READ}


def _patient_with_facts(patient_id: str, name: str, mrn: str, phone: str) -> dict:
    return {
        **fhir.patient(patient_id, name),
        "identifier": [{"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "value": mrn}],
        "telecom": [{"system": "phone", "value": phone}],
        "birthDate": "1976-12-06",
    }


@pytest.mark.parametrize("new_patient_known", [False, True], ids=["unknown", "known-from-another-item"])
def test_an_item_moved_to_another_patient_never_keeps_the_first_patients_number_to_call(new_patient_known):
    def put(*resources, read_at):
        store.referral_page_store(
            connection="sandbox", resource_type="ServiceRequest", resources=list(resources),
            today=TODAY, read_at=read_at,
        )  # fmt: skip

    put(
        fhir.service_request("sr-1"),
        _patient_with_facts("p-1", "First Name", "MRN-1", "555-0101"),
        read_at=READ,
    )
    if new_patient_known:
        put(
            fhir.service_request("sr-9", subject={"reference": "Patient/p-2"}),
            _patient_with_facts("p-2", "Second Name", "MRN-2", "555-0202"),
            read_at=READ,
        )
    # The EHR corrects sr-1's subject; the page does not include the new Patient.
    moved = fhir.service_request("sr-1", version=2, updated="2025-05-02T10:00:00Z")
    put({**moved, "subject": {"reference": "Patient/p-2"}}, read_at=READ + timedelta(hours=1))

    row = Referral.objects.get(fhir_ref="ServiceRequest/sr-1")
    facts = (
        row.patient_ref,
        row.patient_mrn,
        row.patient_phone,
        row.patient_birth_date,
        row.patient_facts_at,
    )
    if new_patient_known:
        assert facts == ("Patient/p-2", "MRN-2", "555-0202", date(1976, 12, 6), READ)
    else:
        assert facts == ("Patient/p-2", "", "", None, None)
