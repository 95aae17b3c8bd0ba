"""What the listener and the processing log, over everything they do with messages (accepted, duplicate,
refused for each reason, too large, parked, processed, EHR down): control ids, counts and reason codes,
never a name, an identifier, a birth date, a phone number or a visit number from the message."""

import logging

import pytest
from django.utils import timezone

from smartapp.adt import matching
from smartapp.adt.process import adt_process_pending
from smartapp.ehr.errors import EhrUnavailable
from tests.adt.hl7_messages import raw
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import MllpClient, ack_fields
from tests.adt.test_matching import FakeEhr

pytestmark = pytest.mark.django_db(transaction=True)

# Every value below is in the messages sent; none of them may reach a log line.
PHI = ("Quillfeather", "Ottilie", "MRN-PHI-77", "MRN-PHI-88", "19410322", "1941-03-22", "555-0177", "VPHI-5")


def message(**overrides) -> bytes:
    values = {
        "name": "Quillfeather^Ottilie",
        "mrn": "MRN-PHI-77",
        "birth": "19410322",
        "phone": "555-0177",
        "visit": "VPHI-5",
        "discharged": timezone.now().strftime("%Y%m%d%H%M"),
    }
    return raw("A03", **{**values, **overrides})


@pytest.fixture
def ehr(monkeypatch):
    fake = FakeEhr({"https://sandbox.smartapp.example/fhir/mrn|MRN-PHI-77": ["p-77"]})
    monkeypatch.setattr(matching, "sync_client", lambda config, max_pages: fake)
    return fake


@pytest.fixture
def every_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_no_phi_reaches_the_logs_of_the_listener_or_the_processing(
    settings, ehr, every_log_line, monkeypatch
):
    settings.ADT_MAX_MESSAGE_BYTES = 4096
    accepted = message()
    sent = [
        accepted,
        accepted,  # a duplicate
        message().replace(b"ADT^A03^ADT_A03", b"ADT^A02^ADT_A02"),  # unsupported event
        message(facility="OTHERHOSP"),  # unknown sending facility
        message().replace(b"MRN-PHI-77^^^SBX^MR", b""),  # missing PID-3
        message() + b"NTE|1||" + b"Quillfeather " * 400 + b"\r",  # over the size limit
        b"Quillfeather^Ottilie MRN-PHI-77 not an HL7 message",  # unparseable
        message(mrn="MRN-PHI-88", visit="VPHI-6"),  # parked: no such patient
    ]
    with listening() as listener, MllpClient(listener.address) as client:
        codes = [ack_fields(client.exchange(payload))["code"] for payload in sent]
    assert codes == ["AA", "AA", "AR", "AR", "AE", "AR", "AR", "AA"]

    report = adt_process_pending()
    assert (report.processed, report.parked) == (1, 1)

    def unavailable(*args, **kwargs):
        raise EhrUnavailable("down")

    monkeypatch.setattr(ehr, "search", unavailable)
    with listening() as listener, MllpClient(listener.address) as client:
        client.exchange(message(mrn="MRN-PHI-88", visit="VPHI-7"))
    matching.PatientMatch.objects.all().delete()
    assert adt_process_pending().retry >= 1

    lines = [record.getMessage() + " " + repr(record.__dict__) for record in every_log_line.records]
    assert any("adt." in line for line in lines), "the scan saw no listener log line"
    leaked = sorted({value for value in PHI for line in lines if value in line})
    assert leaked == []
