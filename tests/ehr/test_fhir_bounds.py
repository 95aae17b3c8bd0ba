"""Bounded FHIR responses (issue 6 point 7): a 100,000-entry Bundle and a 200 MB attachment are refused,
the attachment while it streams, never loaded whole. Against loopback servers.

Paging that cycles or leaves the FHIR base stops: tests/ehr/test_fhir_paging.py (test_a_paging_cycle_stops,
test_a_next_link_to_another_host_is_not_followed_even_if_that_host_is_allowed,
test_a_next_link_on_the_same_host_outside_the_base_path_is_not_followed,
test_the_page_cap_stops_an_endless_server).
"""

import http.server
import json
import threading
import tracemalloc
import zlib

import pytest

from smartapp.core.http import outgoing_session
from smartapp.ehr import bundles
from smartapp.ehr.errors import EhrBadResponse
from smartapp.ehr.fhir import EhrClient
from tests.ehr.fhir_fakes import Answer, FakeEhr, entry, searchset

TOKEN = "test-access-token-bounds"
MB = 1024 * 1024
ATTACHMENT = 200 * MB


def _client(base_url: str, **kwargs) -> EhrClient:
    return EhrClient(base_url=base_url, access_token=TOKEN, session=outgoing_session(["127.0.0.1"]), **kwargs)


@pytest.fixture
def fake():
    server = FakeEhr()
    yield server
    server.close()


def _page_of(count: int) -> bytes:
    return json.dumps(
        searchset([entry({"resourceType": "Observation", "id": str(n)}) for n in range(count)])
    ).encode()


def test_a_bundle_page_of_100000_entries_is_refused_before_its_entries_are_sorted(fake, monkeypatch):
    body = _page_of(100_000)
    fake.answers["/fhir/Observation"] = Answer(200, body)
    client = _client(fake.base_url)
    assert len(body) < client.max_bytes  # small entries: the byte bound alone would let it through

    def sorted_anyway(self, bundle):
        raise AssertionError("the entries were sorted")

    monkeypatch.setattr(bundles.EntrySorter, "add_page", sorted_anyway)
    with pytest.raises(EhrBadResponse):
        client.search("Observation", {"patient": "p1"})
    with pytest.raises(EhrBadResponse):
        next(client.search_pages("Observation", {"patient": "p1"}))


def test_a_page_at_the_entry_bound_is_read(fake):
    fake.answers["/fhir/Observation"] = Answer(200, _page_of(3))
    assert len(_client(fake.base_url, max_entries=3).search("Observation", {}).matches) == 3
    with pytest.raises(EhrBadResponse):
        _client(fake.base_url, max_entries=2).search("Observation", {})
    assert bundles.MAX_PAGE_ENTRIES < 100_000


def _gzipped_zeros(size: int) -> bytes:
    compressor, zeros = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS), bytes(MB)  # 16+: gzip
    return b"".join(compressor.compress(zeros) for _ in range(size // MB)) + compressor.flush()


class _StreamingEhr:
    """Serves Binary/big: ATTACHMENT bytes in 64 KiB writes, counting what the socket accepted."""

    def __init__(self, *, declare_length: bool, gzipped: bool = False):
        self.sent = 0
        self.finished = threading.Event()
        self.bomb = _gzipped_zeros(ATTACHMENT) if gzipped else b""  # ~200 KB inflating to 200 MB
        streaming = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                if gzipped:
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(streaming.bomb)))
                elif declare_length:
                    self.send_header("Content-Length", str(ATTACHMENT))
                self.end_headers()
                try:
                    if gzipped:
                        streaming._write(self.wfile, streaming.bomb)
                    else:
                        chunk = b"%PDF" + b"\0" * (64 * 1024 - 4)
                        while streaming.sent < ATTACHMENT:
                            streaming._write(self.wfile, chunk)
                except OSError:  # the client hung up: what we wanted
                    pass
                finally:
                    streaming.finished.set()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/fhir"
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def _write(self, wfile, data: bytes) -> None:
        wfile.write(data)
        wfile.flush()
        self.sent += len(data)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize("declare_length", [False, True], ids=["streamed", "declared"])
def test_a_200_mb_attachment_is_refused_while_it_streams(declare_length):
    server = _StreamingEhr(declare_length=declare_length)
    client = _client(server.base_url)
    tracemalloc.start()
    try:
        with pytest.raises(EhrBadResponse):
            client.binary("Binary/big", accept="application/pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.finished.wait(10)
        server.close()
    assert server.finished.is_set()  # the server was cut off, it did not finish sending
    assert server.sent < ATTACHMENT / 5, server.sent  # the bound (20 MB) plus socket buffers, not 200 MB
    assert peak < 2 * client.max_bytes, peak  # at most the bound in memory, never the attachment
    if declare_length:  # refused on the Content-Length, before the body is read
        assert peak < 5 * MB, peak


def test_a_gzip_bomb_is_refused_at_the_bound_not_inflated_whole():
    server = _StreamingEhr(declare_length=True, gzipped=True)
    client = _client(server.base_url)
    tracemalloc.start()
    try:
        with pytest.raises(EhrBadResponse):
            client.binary("Binary/big", accept="application/pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.finished.wait(10)
        server.close()
    assert peak < 2 * client.max_bytes, peak  # the decompressed bound, not 200 MB
