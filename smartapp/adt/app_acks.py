"""Enhanced mode's application ACKs (HL7 v2.5.1 2.9.3): once processing has decided a message's outcome
(InboundMessage.app_ack_code AA/AE/AR, when its MSH-16 asked for one), the ACK goes back over MLLP to the
registration's `[adt] return_address`, a listener of the interface engine, over TLS when ADT_RETURN_TLS_CA
names the CA of the engines' listener certificates (tls.return_context). Sent at least once: the row is
marked only after the engine's commit ACK (CA or AA naming our MSH-10) came back; until then it is sent
again on the next round. A registration without a return address keeps its ACKs unsent (counted in logs).
An ACK carries MSH, MSA and, for AE/AR, ERR (outcomes.app_ack_problem): control ids, codes and fixed
texts, no PHI.
"""

import logging
import socket
import ssl
from dataclasses import dataclass

from django.utils import timezone

from smartapp.adt import framing, tls
from smartapp.adt.ack import ack_payload
from smartapp.adt.connections import ack_control_id
from smartapp.adt.models import InboundMessage
from smartapp.adt.outcomes import app_ack_problem
from smartapp.adt.parse import read_header
from smartapp.ehr import configs
from smartapp.ehr.config_hosts import split_host_port

logger = logging.getLogger("smartapp.adt")

TIMEOUT_SECONDS = 10.0
MAX_REPLY_BYTES = 64 * 1024
COMMITTED = ("CA", "AA")  # the engine's accept ACK for our application ACK


@dataclass(frozen=True)
class AppAckReport:
    sent: int = 0
    unsent: int = 0  # no return address configured
    failed: int = 0  # the engine could not be reached or did not confirm: sent again next round


def app_acks_send(*, limit: int = 200) -> AppAckReport:
    """Send the application ACKs decided and not yet confirmed, oldest first, up to `limit` per registration
    (one engine that is down does not hold up another's)."""
    due = InboundMessage.objects.exclude(app_ack_code="").filter(app_ack_sent_at__isnull=True)
    try:
        context = tls.return_context()
    except tls.ListenerRefused:
        unsent = due.count()
        if unsent:
            logger.warning("adt.app_ack_unsent count=%d reason=plaintext_refused", unsent)
        return AppAckReport(unsent=unsent)
    addresses = _return_addresses()
    unsent = due.exclude(connection__in=list(addresses)).count()
    if unsent:
        logger.info("adt.app_ack_unsent count=%d reason=no_return_address", unsent)
    sent = failed = 0
    for connection, address in addresses.items():
        mine = due.filter(connection=connection).order_by("pk")
        rows = list(mine.only("pk", "raw", "app_ack_code", "reason")[:limit])
        confirmed = _send_all(address, rows, context) if rows else 0
        sent, failed = sent + confirmed, failed + len(rows) - confirmed
    return AppAckReport(sent, unsent, failed)


def _return_addresses() -> dict[str, tuple[str, int]]:
    """Registration name -> (host, port) of its engine's listener for application ACKs."""
    addresses = {}
    for config in configs.enabled_configs():
        parts = (
            split_host_port(config.adt.return_address) if config.adt and config.adt.return_address else None
        )
        if parts and parts[1]:
            addresses[config.name] = (parts[0], parts[1])
    return addresses


def _send_all(address: tuple[str, int], rows: list[InboundMessage], context: ssl.SSLContext | None) -> int:
    confirmed = 0
    try:
        with _connected(address, context) as sock:
            for row in rows:
                if not _send_one(sock, row):
                    break
                confirmed += 1
    except OSError as error:
        logger.warning("adt.app_ack_failed count=%d error=%s", len(rows) - confirmed, type(error).__name__)
    return confirmed


def _connected(address: tuple[str, int], context: ssl.SSLContext | None) -> socket.socket:
    sock = socket.create_connection(address, timeout=TIMEOUT_SECONDS)
    if context is None:
        return sock
    try:
        return context.wrap_socket(sock, server_hostname=address[0])
    except OSError:  # ssl.SSLError is one: the engine's certificate did not verify
        sock.close()
        raise


def _send_one(sock: socket.socket, row: InboundMessage) -> bool:
    control_id = ack_control_id()
    payload = ack_payload(
        read_header(bytes(row.raw)),
        row.app_ack_code,
        problem=app_ack_problem(row.app_ack_code, row.reason),
        now=timezone.now(),
        control_id=control_id,
    )
    sock.sendall(framing.frame(payload))
    if not _committed(_read_reply(sock), control_id):
        logger.warning("adt.app_ack_unconfirmed message=%d", row.pk)
        return False
    InboundMessage.objects.filter(pk=row.pk, app_ack_sent_at__isnull=True).update(
        app_ack_sent_at=timezone.now()
    )
    return True


def _read_reply(sock: socket.socket) -> bytes:
    decoder = framing.FrameDecoder(max_bytes=MAX_REPLY_BYTES)
    while chunk := sock.recv(4096):
        payloads = [item for item in decoder.feed(chunk) if isinstance(item, bytes)]
        if payloads:
            return payloads[0]
    return b""


def _committed(reply: bytes, control_id: str) -> bool:
    # MSA-1 the acknowledgment code, MSA-2 the control id of the message it acknowledges (ours).
    if len(reply) < 4 or not reply.startswith(b"MSH"):
        return False
    separator = reply[3:4]
    for segment in reply.split(b"\r"):
        fields = segment.split(separator)
        if fields[0] == b"MSA" and len(fields) > 2:
            return fields[1].decode("ascii", "replace") in COMMITTED and fields[2] == control_id.encode()
    return False
