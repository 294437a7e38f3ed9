"""The benchmark's load generator is bounded: it sends what it was told (or stops at its time limit), over
keep-alive connections, and counts what did not answer 200."""

from __future__ import annotations

import http.server
import threading

import pytest

from bench.load import run


class Answers(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as chalice local speaks

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = b"{}"
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_it_sends_exactly_the_requests_asked_and_counts_the_failures(server):
    result = run(server, ["/ok", "/missing"], requests=40, seconds=60, concurrency=3, headers={})

    assert result["requests"] == 40
    assert result["failures"] == 20 and "/missing: 404" in result["first_failures"]
    assert 0 < result["p50_ms"] <= result["p99_ms"] and result["rps"] > 0


def test_it_stops_at_its_time_limit(server):
    result = run(server, ["/ok"], requests=10**9, seconds=0.3, concurrency=2, headers={})

    assert 0 < result["requests"] < 10**9 and result["failures"] == 0
