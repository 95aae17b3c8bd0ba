"""`manage.py sandbox_adt` end to end: the sandbox's store, its messages on the wire to a fake listener."""

import io

import pytest
from django.core.management import CommandError, call_command

from smartapp.sandbox.models import Resource
from smartapp.sandbox.store import save_resource
from tests.sandbox.adt_fake_listener import FakeListener

MRN = "https://sandbox.smartapp.example/fhir/mrn"
VISIT = "https://sandbox.smartapp.example/fhir/visit"


@pytest.fixture
def ward(transactional_db, settings):
    """pat-1 (MRN SBX000001), the hospitalist pr-008 and pat-1's in-progress stay enc-1 (visit V00000001)."""
    settings.SANDBOX_ADT_ENABLED, settings.SANDBOX_ADT_ACK_TIMEOUT, settings.SANDBOX_ADT_MAX_ATTEMPTS = (
        True,
        1,
        2,
    )
    save_resource(
        {
            "resourceType": "Patient",
            "id": "pat-1",
            "identifier": [{"system": MRN, "value": "SBX000001"}],
            "name": [{"family": "Rivera", "given": ["Ana"]}],
        }
    )
    save_resource({"resourceType": "Practitioner", "id": "pr-008", "name": [{"family": "Okafor"}]})
    save_resource(
        {
            "resourceType": "Encounter",
            "id": "enc-1",
            "identifier": [{"system": VISIT, "value": "V00000001"}],
            "status": "in-progress",
            "class": {"code": "IMP"},
            "subject": {"reference": "Patient/pat-1"},
            "participant": [{"individual": {"reference": "Practitioner/pr-008"}}],
            "period": {"start": "2024-04-28T14:00:00Z"},
        }
    )


@pytest.fixture
def listener():
    fake = FakeListener()
    fake.start()
    yield fake
    fake.stop()


def run(*args, listener: FakeListener | None = None, port: int | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    target = f"127.0.0.1:{port or listener.port}"
    call_command("sandbox_adt", *args, "--target", target, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def segment(payload: bytes, name: str) -> list[str]:
    line = next(s for s in payload.decode().split("\r") if s.startswith(name))
    return line.split("|")


def test_send_delivers_the_event_and_reports_each_ack(ward, listener):
    out, _ = run("send", "--event", "A03", "--patient", "pat-1", "--encounter", "enc-1", listener=listener)

    [arrival] = listener.arrivals
    assert f"{arrival.control_id} ack=AA attempts=1" in out
    assert arrival.event == "A03"
    assert segment(arrival.payload, "PID")[3] == "SBX000001^^^SBX^MR"
    assert segment(arrival.payload, "PV1")[19] == "V00000001^^^SBX^VN"
    assert segment(arrival.payload, "PV1")[7] == "pr-008^Okafor"


def test_send_without_an_encounter_uses_the_latest_inpatient_stay(ward, listener):
    run("send", "--event", "A08", "--patient", "pat-1", listener=listener)

    assert segment(listener.arrivals[0].payload, "PV1")[19].startswith("V00000001")


def test_send_makes_a_stay_for_a_patient_who_has_none(ward, listener):
    save_resource(
        {"resourceType": "Patient", "id": "pat-2", "identifier": [{"system": MRN, "value": "SBX2"}]}
    )

    run("send", "--event", "A03", "--patient", "pat-2", listener=listener)

    [stay] = Resource.objects.filter(resource_type="Encounter", patient_id="pat-2")
    visit = next(i["value"] for i in stay.body["identifier"] if i["system"] == VISIT)
    assert stay.body["status"] == "finished"
    assert segment(listener.arrivals[0].payload, "PV1")[19] == f"{visit}^^^SBX^VN"


def test_faults_combine_on_the_wire(ward, listener):
    run(
        "send", "--event", "A03", "--patient", "pat-1", "--fault", "out_of_order", "--fault", "duplicate",
        listener=listener,
    )  # fmt: skip

    assert [a.event for a in listener.arrivals] == ["A13", "A13", "A03", "A03"]
    ids = [a.control_id for a in listener.arrivals]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_burst_sends_count_messages_on_one_connection(ward, listener):
    out, _ = run(
        "send", "--event", "A08", "--patient", "pat-1", "--fault", "burst", "--count", "3", listener=listener
    )

    assert len({a.control_id for a in listener.arrivals}) == 3
    assert len(listener.raw) == 1
    assert out.count("ack=AA attempts=1") == 3


def test_discharge_ends_the_stay_in_the_store_then_sends_the_a03(ward, listener):
    run("discharge", "--encounter", "enc-1", listener=listener)

    row = Resource.objects.get(resource_type="Encounter", fhir_id="enc-1")
    assert row.body["status"] == "finished" and row.body["period"]["end"]
    assert row.version_id == 2 and row.body["meta"]["versionId"] == "2"
    [arrival] = listener.arrivals
    assert arrival.event == "A03"
    assert segment(arrival.payload, "PV1")[45] != ""


def test_discharge_of_a_finished_stay_is_refused(ward, listener):
    run("discharge", "--encounter", "enc-1", listener=listener)

    with pytest.raises(CommandError, match="not an in-progress inpatient stay"):
        run("discharge", "--encounter", "enc-1", listener=listener)


def test_admit_opens_a_stay_with_a_visit_number_and_sends_the_a01(ward, listener):
    out, _ = run("admit", "--patient", "pat-1", listener=listener)

    [arrival] = listener.arrivals
    encounter_id = out.split()[1]
    body = Resource.objects.get(resource_type="Encounter", fhir_id=encounter_id).body
    visit = next(i["value"] for i in body["identifier"] if i["system"] == VISIT)
    assert body["status"] == "in-progress" and arrival.event == "A01"
    assert segment(arrival.payload, "PV1")[19] == f"{visit}^^^SBX^VN"


def test_a_failed_send_leaves_the_discharge_saved(ward):
    closed = FakeListener()
    closed.start()
    closed.stop()

    with pytest.raises(CommandError, match="no ACK"):
        run("discharge", "--encounter", "enc-1", port=closed.port)

    assert Resource.objects.get(resource_type="Encounter", fhir_id="enc-1").body["status"] == "finished"


def test_with_the_feed_off_a_discharge_sends_nothing(ward, listener, settings):
    settings.SANDBOX_ADT_ENABLED = False

    _, err = run("discharge", "--encounter", "enc-1", listener=listener)

    assert "feed_disabled" in err and listener.arrivals == []
