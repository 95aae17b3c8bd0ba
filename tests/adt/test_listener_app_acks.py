"""Enhanced mode's application ACKs (app_acks.py) sent to a registration's `[adt] return_address`, and the
listener's processing thread, woken by each committed batch."""

import socket
import ssl
import threading
import time

import pytest

from smartapp.adt import outcomes, process
from smartapp.adt.app_acks import AppAckReport, app_acks_send
from smartapp.adt.models import InboundMessage
from smartapp.adt.process import ProcessReport
from tests.adt.listener_harness import listening
from tests.adt.mllp_client import END, START, MllpClient, ack_fields, adt
from tests.adt.registrations import sandbox_adt_with
from tests.adt.test_listener_tls import issue, write_pair

pytestmark = pytest.mark.django_db(transaction=True)


class FakeEngine:
    """The interface engine's listener for application ACKs: records each one, answers `answer` to it."""

    def __init__(self, answer: str = "CA"):
        self.answer, self.received = answer, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _accept(self) -> socket.socket | None:
        return self.server.accept()[0]

    def _serve(self) -> None:
        with self.server:
            conn = self._accept()
            if conn is not None:
                with conn:
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
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


class TlsEngine(FakeEngine):
    """The engine's listener over TLS, requiring a client certificate its CA signed."""

    def __init__(self, context: ssl.SSLContext, answer: str = "CA"):
        self.context, self.handshake_failed = context, False
        super().__init__(answer)

    def _accept(self) -> socket.socket | None:
        raw = self.server.accept()[0]
        try:
            return self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failed = True
            raw.close()
            return None


@pytest.fixture
def engine_pki(tmp_path):
    """The hospital's CA (it signs the engine's listener certificate and smartapp's), another CA, and the
    engine's server context, which requires smartapp's client certificate."""
    ca, other_ca = issue("hospital CA", ca=True), issue("another CA", ca=True)
    ca_path = write_pair(tmp_path, "ca", ca)[0]
    engine = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    engine.load_cert_chain(*write_pair(tmp_path, "engine", issue("engine", issuer=ca, server=True)))
    engine.load_verify_locations(cafile=ca_path)
    engine.verify_mode = ssl.CERT_REQUIRED
    return {
        "ca": ca_path,
        "other_ca": write_pair(tmp_path, "other", other_ca)[0],
        "engine": engine,
        "smartapp": write_pair(tmp_path, "smartapp", issue("smartapp", issuer=ca)),
    }


def tls_configured(settings, engine_pki, *, return_ca: str) -> None:
    """smartapp's certificate and the CA it trusts for engines' listeners (set after the message was
    stored over plain TCP: the listener itself would serve TLS with them)."""
    settings.ADT_TLS_CERT, settings.ADT_TLS_KEY = engine_pki["smartapp"]
    settings.ADT_RETURN_TLS_CA = engine_pki[return_ca]


@pytest.fixture
def return_address(tmp_path, settings):
    """The sandbox registration, with its engine's return address set; returns a function that sets it."""

    def configure(address: str) -> None:
        sandbox_adt_with(tmp_path, settings, "return_address", address)

    return configure


def stored_with_app_ack(control_id: str, code: str = "AA", reason: str = "") -> InboundMessage:
    with listening() as listener, MllpClient(listener.address) as client:
        client.send(adt(control_id, accept_ack="AL", app_ack="AL"))
        assert ack_fields(client.receive())["code"] == "CA"
    decided = InboundMessage.objects.filter(control_id=control_id)
    decided.update(app_ack_code=code, reason=reason)  # processing decided
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


def test_with_a_return_ca_application_acks_go_over_tls_with_smartapps_client_certificate(
    return_address, engine_pki, settings
):
    engine = TlsEngine(engine_pki["engine"])
    return_address(f"127.0.0.1:{engine.port}")
    stored_with_app_ack("C1")
    tls_configured(settings, engine_pki, return_ca="ca")

    assert app_acks_send() == AppAckReport(sent=1)
    assert ack_fields(engine.received[0])["acknowledges"] == "C1" and not engine.handshake_failed


def test_an_engine_certificate_from_another_ca_is_not_trusted_and_the_ack_stays_unsent(
    return_address, engine_pki, settings
):
    engine = TlsEngine(engine_pki["engine"])
    return_address(f"127.0.0.1:{engine.port}")
    stored_with_app_ack("C1")
    tls_configured(settings, engine_pki, return_ca="other_ca")

    assert app_acks_send() == AppAckReport(failed=1)
    assert engine.received == [] and InboundMessage.objects.get().app_ack_sent_at is None


def test_production_sends_no_application_ack_in_plain_tcp(return_address, settings):
    engine = FakeEngine()
    return_address(f"127.0.0.1:{engine.port}")
    stored_with_app_ack("C1")
    settings.PRODUCTION, settings.ADT_PLAINTEXT_ALLOWED = True, False

    assert app_acks_send() == AppAckReport(unsent=1)
    assert engine.received == [] and InboundMessage.objects.get().app_ack_sent_at is None


@pytest.mark.parametrize(
    ("code", "reason", "error", "location"),
    [
        ("AE", "no_match", "204", "PID^1^3"),
        ("AE", "several_matches", "204", "PID^1^3"),
        ("AE", "no_identifier", "101", "PID^1^3"),
        ("AE", "ehr_refused", "207", ""),
        ("AR", "not_production", "103", "MSH^1^11"),
        ("AR", "no_visit_number", "101", "PV1^1^19"),
        ("AA", "", "", ""),
    ],
)
def test_an_application_ae_or_ar_says_why_in_an_err_segment_of_fixed_words(
    return_address, code, reason, error, location
):
    engine = FakeEngine()
    return_address(f"127.0.0.1:{engine.port}")
    stored_with_app_ack("C1", code, reason)

    assert app_acks_send() == AppAckReport(sent=1)
    [sent] = engine.received
    fields = ack_fields(sent)
    assert (fields["code"], fields["error"], fields["location"]) == (code, error, location)
    segments = {segment.split("|")[0]: segment.split("|") for segment in sent.decode().split("\r") if segment}
    assert list(segments) == (["MSH", "MSA", "ERR"] if error else ["MSH", "MSA"])
    if error:
        assert segments["ERR"][8] == outcomes.app_ack_problem(code, reason).text  # ERR-8, fixed words
