"""Enhanced mode's application ACKs (app_acks.py) sent to a registration's `[adt] return_address`, and the
listener's processing thread, woken by each committed batch."""

import socket
import threading
import time
from pathlib import Path

import pytest

from smartapp.adt import process
from smartapp.adt.app_acks import AppAckReport, app_acks_send
from smartapp.adt.models import InboundMessage
from smartapp.adt.process import ProcessReport
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import END, START, MllpClient, ack_fields, adt

pytestmark = pytest.mark.django_db(transaction=True)
SANDBOX_TOML = Path(__file__).resolve().parents[2] / "launch_configs" / "sandbox.toml"


class FakeEngine:
    """The interface engine's listener for application ACKs: records each one, answers `answer` to it."""

    def __init__(self, answer: str = "CA"):
        self.answer, self.received = answer, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with self.server, self.server.accept()[0] as conn:
            buffer = b""
            while chunk := conn.recv(65536):
                buffer += chunk
                while END in buffer:
                    frame, buffer = buffer.split(END, 1)
                    self.received.append(frame[1:])
                    control_id = ack_fields(frame[1:])["control_id"]
                    conn.sendall(
                        START + f"MSH|^~\\&|ENGINE|SBXHOSP\rMSA|{self.answer}|{control_id}\r".encode() + END
                    )


@pytest.fixture
def return_address(tmp_path, settings):
    """The sandbox registration, with its engine's return address set; returns a function that sets it."""

    def configure(address: str) -> None:
        text = SANDBOX_TOML.read_text().replace("[adt]\n", f'[adt]\nreturn_address = "{address}"\n', 1)
        (tmp_path / "sandbox.toml").write_text(text)
        settings.LAUNCH_CONFIGS_DIR = str(tmp_path)

    return configure


def stored_with_app_ack(control_id: str, code: str = "AA") -> InboundMessage:
    with listening() as listener, MllpClient(listener.address) as client:
        client.send(adt(control_id, accept_ack="AL", app_ack="AL"))
        assert ack_fields(client.receive())["code"] == "CA"
    InboundMessage.objects.filter(control_id=control_id).update(app_ack_code=code)  # processing decided
    return InboundMessage.objects.get(control_id=control_id)


def test_a_decided_application_ack_goes_to_the_return_address_and_is_marked_once_confirmed(return_address):
    engine = FakeEngine()
    return_address(f"127.0.0.1:{engine.port}")
    row = stored_with_app_ack("C1", "AE")

    assert app_acks_send() == AppAckReport(sent=1)
    [sent] = engine.received
    assert (ack_fields(sent)["code"], ack_fields(sent)["acknowledges"]) == ("AE", "C1")
    row.refresh_from_db()
    assert row.app_ack_sent_at is not None
    assert app_acks_send() == AppAckReport()  # nothing left to send


def test_an_unconfirmed_application_ack_stays_unsent_for_the_next_round(return_address):
    engine = FakeEngine(answer="CE")
    return_address(f"127.0.0.1:{engine.port}")
    stored_with_app_ack("C1")

    assert app_acks_send() == AppAckReport(failed=1)
    assert InboundMessage.objects.get().app_ack_sent_at is None


def test_without_a_return_address_application_acks_stay_unsent():
    stored_with_app_ack("C1")

    assert app_acks_send() == AppAckReport(unsent=1)
    assert InboundMessage.objects.get().app_ack_sent_at is None


def test_an_unreachable_engine_leaves_the_ack_for_the_next_round(return_address):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]
    return_address(f"127.0.0.1:{closed_port}")
    stored_with_app_ack("C1")

    assert app_acks_send() == AppAckReport(failed=1)


def test_a_committed_batch_wakes_processing_within_a_second(monkeypatch):
    calls = []

    def process_pending(*, holder, **kwargs):
        calls.append((time.monotonic(), holder))
        return ProcessReport()

    monkeypatch.setattr(process, "adt_process_pending", process_pending)
    with listening(process=True) as listener, MllpClient(listener.address) as client:
        time.sleep(0.1)  # let the processing thread wait for its first wake-up
        acked_at = (client.exchange(adt("C1")), time.monotonic())[1]
        deadline = acked_at + 1
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)

    assert calls and calls[0][0] - acked_at < 1
    assert calls[0][1] == listener.listener.id
