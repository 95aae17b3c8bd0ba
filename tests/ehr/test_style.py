"""smart_style_url: only plain hex colours are taken from the EHR."""

import http.server
import json
import threading

import pytest

from smartapp.ehr.style import smart_style


@pytest.fixture
def style_server(settings):
    settings.EGRESS_ALLOWED_HOSTS = ["127.0.0.1"]
    document = {
        "color_highlight": "red; } body { display: none",
        "color_text": "#123456",
        "color_background": "url(https://tracker.example/x.png)",
        "color_error": "#abc",
    }
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/style.json", hits
    server.shutdown()
    server.server_close()


def test_only_hex_colours_are_taken_and_the_answer_is_cached(style_server):
    url, hits = style_server
    assert smart_style(url) == {"color_text": "#123456", "color_error": "#abc"}
    assert smart_style(url) == {"color_text": "#123456", "color_error": "#abc"}
    assert len(hits) == 1


def test_a_style_url_off_the_allow_list_is_never_fetched():
    assert smart_style("http://127.0.0.2:9/style.json") == {}
    assert smart_style("") == {}
