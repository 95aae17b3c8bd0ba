"""A tiny blocking MLLP client for the listener's tests, and the synthetic ADT messages they send."""

import socket
import ssl

START, END = b"\x0b", b"\x1c\r"


class MllpClient:
    """One TCP (or TLS) connection to a listener: send frames, read ACK payloads."""

    def __init__(self, address: tuple[str, int], *, timeout: float = 10.0, tls: ssl.SSLContext | None = None):
        sock = socket.create_connection(address, timeout=timeout)
        self.sock = tls.wrap_socket(sock, server_hostname="localhost") if tls else sock
        self._buffer = b""

    def send(self, *payloads: bytes) -> None:
        """All the payloads, framed, in one write."""
        self.sock.sendall(b"".join(START + payload + END for payload in payloads))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> bytes | None:
        """The next ACK's payload; None when the listener closed the connection first."""
        while END not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        frame, self._buffer = self._buffer.split(END, 1)
        assert frame.startswith(START), frame[:20]
        return frame[1:]

    def exchange(self, payload: bytes) -> bytes | None:
        self.send(payload)
        return self.receive()

    def closed_by_peer(self) -> bool:
        """Whether the listener closed (EOF or reset) without sending anything more."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def adt(
    control_id: str = "MSG00001",
    *,
    event: str = "A03",
    facility: str = "SBXHOSP",
    application: str = "ENGINE",
    pid3: str = "SBX1001^^^SBX^MR",
    visit: str = "V5001",
    accept_ack: str = "",
    app_ack: str = "",
    padding: int = 0,
) -> bytes:
    """A synthetic ADT message (no real person). `padding` adds that many bytes of NTE text."""
    msh = "MSH|^~\\&|" + "|".join([
        application, facility, "SMARTAPP", "SMARTAPP", "20250301120000", "", f"ADT^{event}",
        control_id, "P", "2.5.1", "", "", accept_ack, app_ack,
    ])  # fmt: skip
    pv1 = ["PV1", "1", "I", "WARD^101^1"] + [""] * 15 + [f"{visit}^^^SBX^VN"]  # PV1-19: the visit number
    segments = [
        msh,
        f"EVN|{event}|20250301120000",
        f"PID|1||{pid3}||Testpatient^Alex||19700101|F",
        "|".join(pv1),
    ]
    if padding:
        segments.append("NTE|1||" + "x" * padding)
    return "\r".join(segments).encode() + b"\r"


def ack_fields(payload: bytes) -> dict[str, str]:
    """MSA-1, MSA-2, MSH-9, MSH-10 and the ERR's code and location of an ACK payload."""
    segments = {seg.split("|", 1)[0]: seg.split("|") for seg in payload.decode().split("\r") if seg}
    msa, msh, err = segments["MSA"], segments["MSH"], segments.get("ERR", [])
    return {
        "code": msa[1],
        "acknowledges": msa[2],
        "type": msh[8],
        "control_id": msh[9],
        "error": err[3].split("^")[0] if len(err) > 3 else "",
        "location": err[2] if len(err) > 2 else "",
    }
