"""The ADT feed end to end (issue 14): the sandbox's ward admits and discharges, its interface engine sends
HL7 v2 over MLLP to smartapp's real listener, which stores, ACKs and processes each message (the patient
matched by a PID-3 search at the sandbox's FHIR API), and a care coordinator sees the discharge follow-up on
the worklist within seconds, with nothing lost or doubled under the sender's faults; then the FHIR sync
merges the same stay instead of doubling it, and an unknown patient waits for the coordinator's review."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from smartapp.adt.models import PARKED, PROCESSED, InboundMessage, PatientMatch
from smartapp.audit.models import AuditEvent
from smartapp.audit.verify import chain_verify
from smartapp.referrals.follow_up_rules import INPATIENT
from smartapp.referrals.models import Referral
from smartapp.referrals.store import configured_rules
from smartapp.referrals.sync import referral_sync
from smartapp.sandbox.importer.service import resources_import
from smartapp.sandbox.synthetic import catalog
from smartapp.sandbox.synthetic.visits import visit_number
from tests.adt.e2e_support import (
    acked,
    discharges_sent,
    feed_fixture,  # noqa: F401  (fixture)
    follow_ups,
    sandbox_adt,
    sandbox_mrn,
    saved_encounter,
    stay_ended,
    stored_counts,
    unknown_patient_discharge_sent,
    wait_for,
    wait_settled,
)
from tests.referrals import dashboard
from tests.referrals.sync_support import ehr_fixture  # noqa: F401  (fixture)

PATIENT = catalog.TYPICAL_PATIENT_ID
# A long Synthea R4 record (decades of encounters), as the sandbox imports it: its MRN is in the system of
# Synthea's own hospital, not the sandbox's.
SYNTHEA = Path(__file__).resolve().parents[2] / "smartapp/sandbox/fixtures/synthea-r4"
SYNTHEA_RECORD = SYNTHEA / "Octavio_Dickens_5fd6d71b-62ba-457c-833b-9c73e0215a1f.json"


@pytest.fixture
def coordinator(client):
    """A care coordinator of the sandbox registration, signed in with the test client."""
    return dashboard.signed_in(client)


def _due_days() -> int:
    return configured_rules()[INPATIENT].due_days


def test_a_discharge_on_the_ward_is_on_the_coordinators_worklist_within_seconds(
    ehr, feed, client, coordinator
):
    admitted = sandbox_adt("admit", "--patient", PATIENT)
    encounter_id = saved_encounter(admitted)
    wait_settled([cid for cid, _ in acked(admitted)])
    assert follow_ups(encounter_id) == []  # an admission alone asks for no follow-up

    discharged = sandbox_adt("discharge", "--encounter", encounter_id)
    messages = acked(admitted) + acked(discharged)
    assert [ack for _, ack in messages] == ["AA", "AA"]
    [referral] = wait_for(lambda: follow_ups(encounter_id), what="the discharge follow-up")

    visit = visit_number(encounter_id)
    today = timezone.localdate()
    assert (referral.fhir_ref, referral.patient_ref) == (f"adt-visit/{visit}", f"Patient/{PATIENT}")
    assert (referral.authored_on, referral.follow_up_rule) == (today, INPATIENT)
    assert referral.due_date == today + timedelta(days=_due_days()) and referral.state == "pending"
    worklist = client.get("/referrals/")
    assert worklist.status_code == 200 and referral.pk in [row.pk for row in worklist.context["rows"]]
    assert referral.patient_display and referral.patient_display in worklist.content.decode()

    wait_settled([cid for cid, _ in messages])
    for control_id, _ in messages:
        received = AuditEvent.objects.filter(action="adt.received", detail__control_id=control_id)
        processed = AuditEvent.objects.filter(action="adt.processed", detail__control_id=control_id)
        assert [e.outcome for e in received] == ["accepted"]
        assert [(e.outcome, e.patient_ref) for e in processed] == [("processed", PATIENT)]


# The sandbox's send faults (docs/sandbox.md "ADT feed"), each with one A03 about a different patient's stay,
# and the follow-up state the visit must end in.
FAULTS = {
    "drop_mid_frame": ("pat-010", "pending"),
    "garbage": ("pat-011", "pending"),
    "duplicate": ("pat-012", "pending"),
    "slow_reader": ("pat-013", "pending"),
    "out_of_order": ("pat-014", "cancelled"),  # the A13 (a minute later) arrives first and cancels the A03
}


@pytest.mark.parametrize("fault", FAULTS)
def test_under_each_fault_every_message_is_stored_once_and_the_visit_followed_up_once(ehr, feed, fault):
    patient, final_state = FAULTS[fault]
    encounter_id = stay_ended(patient)["id"]
    output = sandbox_adt(
        "send", "--event", "A03", "--patient", patient, "--encounter", encounter_id, "--fault", fault
    )
    sent = acked(output)
    control_ids = {cid for cid, _ in sent}
    assert sent and all(ack == "AA" for _, ack in sent)
    wait_settled(control_ids)

    assert stored_counts(control_ids) == dict.fromkeys(control_ids, 1)
    assert InboundMessage.objects.count() == len(control_ids)
    assert set(InboundMessage.objects.values_list("visit_number", flat=True)) == {visit_number(encounter_id)}
    [referral] = follow_ups(encounter_id)
    assert (referral.patient_ref, referral.state) == (f"Patient/{patient}", final_state)
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {PROCESSED}
    received = AuditEvent.objects.filter(action="adt.received").values_list("outcome", flat=True)
    expected = {"duplicate": ["accepted", "duplicate"] * len(control_ids)}.get(
        fault, ["accepted"] * len(sent)
    )
    assert sorted(o for o in received if o != "rejected") == sorted(expected)
    if fault == "drop_mid_frame":  # the half frame got no ACK: the sender resent the whole message
        assert "attempts=2" in output
    if fault == "garbage":  # the framed non-HL7 payload: refused (AR), audited, never stored
        assert AuditEvent.objects.filter(action="adt.received", outcome="rejected").exists()


def test_a_burst_of_twenty_messages_about_one_visit_is_stored_whole_and_followed_up_once(ehr, feed):
    encounter_id = stay_ended("pat-015")["id"]
    output = sandbox_adt(
        "send", "--event", "A03", "--patient", "pat-015", "--encounter", encounter_id,
        "--fault", "burst", "--count", "20",
    )  # fmt: skip
    sent = acked(output)
    control_ids = [cid for cid, _ in sent]
    assert len(set(control_ids)) == 20 and {ack for _, ack in sent} == {"AA"}
    wait_settled(control_ids)

    assert stored_counts(control_ids) == dict.fromkeys(control_ids, 1)
    [referral] = follow_ups(encounter_id)
    assert referral.state == "pending" and referral.patient_ref == "Patient/pat-015"


def test_a_burst_over_twenty_patients_follows_up_each_discharge_once(ehr, feed):
    patients = catalog.PATIENT_IDS[:20]
    encounter_ids, deliveries = discharges_sent(patients, faults={"burst"})
    control_ids = [d.control_id for d in deliveries]
    assert len(deliveries) == 20 and {d.ack_code for d in deliveries} == {"AA"}
    wait_settled(control_ids)

    assert stored_counts(control_ids) == dict.fromkeys(control_ids, 1)
    for patient, encounter_id in zip(patients, encounter_ids, strict=True):
        [referral] = follow_ups(encounter_id)
        assert (referral.patient_ref, referral.state) == (f"Patient/{patient}", "pending")
    assert Referral.objects.filter(fhir_ref__startswith="adt-visit/").count() == 20
    assert chain_verify(AuditEvent.objects.order_by("seq")).broken is None  # three threads appended to it


def test_the_fhir_sync_merges_the_adt_discharge_and_keeps_the_coordinators_note(
    ehr, feed, client, coordinator
):
    encounter_id = stay_ended("pat-016")["id"]
    sandbox_adt("send", "--event", "A03", "--patient", "pat-016", "--encounter", encounter_id)
    [from_adt] = wait_for(lambda: follow_ups(encounter_id), what="the discharge follow-up")
    note = {"text": "Left a voicemail about the follow-up visit", "idempotency_key": "e2e-note-" + "0" * 22}
    assert client.post(f"/referrals/{from_adt.pk}/outreach/", note).status_code == 303

    referral_sync(connection="sandbox")

    [merged] = follow_ups(encounter_id)
    assert (merged.pk, merged.fhir_ref) == (from_adt.pk, f"Encounter/{encounter_id}")
    assert (merged.due_date, merged.state, merged.patient_ref) == (
        from_adt.due_date,
        "pending",
        "Patient/pat-016",
    )
    assert [n.text for n in merged.outreach.all()] == [note["text"]]
    assert not Referral.objects.filter(fhir_ref__startswith="adt-visit/").exists()
    rows = [row.pk for row in client.get("/referrals/?kind=discharge&state=pending").context["rows"]]
    assert rows.count(merged.pk) == 1


def test_an_adt_discharge_after_the_fhir_sync_updates_the_synced_follow_up(ehr, feed):
    encounter_id = stay_ended("pat-017")["id"]
    referral_sync(connection="sandbox")
    [synced] = follow_ups(encounter_id)

    output = sandbox_adt("send", "--event", "A03", "--patient", "pat-017", "--encounter", encounter_id)
    wait_settled([cid for cid, _ in acked(output)])

    [after] = follow_ups(encounter_id)
    assert (after.pk, after.fhir_ref, after.state) == (synced.pk, f"Encounter/{encounter_id}", "pending")
    assert InboundMessage.objects.get().referral_id == synced.pk


def test_a_patient_the_ehr_does_not_know_waits_for_review_until_the_coordinator_links_them(
    ehr, feed, client, coordinator
):
    patient = "pat-018"
    encounter_id, [delivery] = unknown_patient_discharge_sent(patient, mrn="SBX-NOT-ON-FILE-1")
    assert delivery.ack_code == "AA"
    wait_settled([delivery.control_id])
    message = InboundMessage.objects.get()
    assert (message.status, message.reason) == (PARKED, "no_match")
    assert follow_ups(encounter_id) == []
    banner = "1 hospital admission or discharge message waits for review"
    assert banner in client.get("/referrals/").content.decode()
    review = client.get("/referrals/adt-review/").content.decode()
    assert delivery.control_id in review and "MRN SBX-NOT-ON-FILE-1 (issued by SBX)" in review

    # The coordinator reads the patient's MRN in the EHR; smartapp finds them by it at the sandbox.
    linked = client.post(f"/referrals/adt-review/{message.pk}/link/", {"mrn": sandbox_mrn(patient)})

    assert linked.status_code == 303
    [referral] = follow_ups(encounter_id)
    assert (referral.patient_ref, referral.fhir_ref) == (
        f"Patient/{patient}",
        f"adt-visit/{visit_number(encounter_id)}",
    )
    worklist = client.get("/referrals/")
    assert referral.pk in [row.pk for row in worklist.context["rows"]]
    assert "adt-parked" not in worklist.content.decode()  # the banner is gone
    match = PatientMatch.objects.get(outcome="matched")
    assert (match.method, match.patient_ref) == ("coordinator", f"Patient/{patient}")


def test_an_imported_synthea_patients_discharge_is_matched_and_reads_as_from_the_adt_feed(
    ehr, feed, client, coordinator
):
    resources_import(paths=[SYNTHEA_RECORD])
    patient_id = "4551370c-c3eb-4164-a2ff-b528f73a4e0f"  # the import keeps the record's own ids
    admitted = sandbox_adt("admit", "--patient", patient_id)
    encounter_id = saved_encounter(admitted)
    discharged = sandbox_adt("discharge", "--encounter", encounter_id)
    assert [ack for _, ack in acked(admitted) + acked(discharged)] == ["AA", "AA"]

    [referral] = wait_for(lambda: follow_ups(encounter_id), what="the discharge follow-up")
    assert referral.patient_ref == f"Patient/{patient_id}"
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"visit {visit_number(encounter_id)}, from the hospital's ADT feed" in page
