"""The local stack's edges answer as AWS's would: the local API refuses a body it will not take before reading it
(413 over the ceiling, 401 without the token the route needs), gives up on a body that stalls (408), and asks for
a body (100 Continue) only once it will read it; a presigned link to a deleted object answers S3's 404 NoSuchKey."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
import requests

from devstack.__main__ import devstack_client
from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status

READ_TIMEOUT_SECONDS = 2
MAX_BODY_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def edge_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(
        tmp_path_factory.mktemp("edges") / "stack.log",
        CLOUDSOUND_LOCAL_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_SECONDS),
        CLOUDSOUND_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
    )
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="module")
def token(edge_stack: RunningStack) -> str:
    return requests.post(f"{edge_stack.url}/users", json={"name": "edges"}, timeout=10).json()["token"]


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def error_code(self) -> str:
        return json.loads(self.body)["error"]["code"]


def read_response(sock: socket.socket) -> RawResponse:
    """One HTTP response off the socket (status line, headers, a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed with no answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the middle of the answer"
        body += chunk
    return RawResponse(int(status_line.split()[1]), headers, body)


def send_head(stack: RunningStack, method: str, path: str, headers: dict[str, str], wait: float) -> socket.socket:
    """A connection with a request's head sent (and none of its body): the test sends what body it wants."""
    port = urllib.parse.urlsplit(stack.url).port
    sock = socket.create_connection(("127.0.0.1", port), timeout=wait)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def test_a_body_over_the_ceiling_is_refused_413_before_it_is_read(edge_stack):
    started = time.monotonic()
    with send_head(
        edge_stack, "POST", "/users", {"Content-Type": "application/json", "Content-Length": str(5 * 1000**3)}, wait=10
    ) as sock:
        sock.sendall(b'{"name": "x"}')  # and nothing more of the 5 GB it announced
        response = read_response(sock)

    assert response.status == 413
    assert response.error_code() == "too_large"
    assert response.headers["content-type"] == "application/json"
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS  # answered, not timed out


def test_a_large_body_without_the_token_its_route_needs_is_refused_401_before_it_is_read(edge_stack):
    started = time.monotonic()
    with send_head(
        edge_stack,
        "POST",
        "/recordings?name=big.wav",
        {"Content-Type": "audio/wav", "Content-Length": str(MAX_BODY_BYTES)},
        wait=10,
    ) as sock:
        sock.sendall(b"RIFF" + b"\0" * 65532)  # the start of a body that never comes whole
        response = read_response(sock)

    assert response.status == 401
    assert response.error_code() == "unauthorized"
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS


def test_a_body_that_stalls_is_given_up_with_408(edge_stack):
    started = time.monotonic()
    with send_head(
        edge_stack,
        "POST",
        "/users",
        {"Content-Type": "application/json", "Content-Length": "1000"},
        wait=READ_TIMEOUT_SECONDS + 20,
    ) as sock:
        sock.sendall(b'{"name": ')  # then nothing
        response = read_response(sock)
        assert sock.recv(1) == b""  # and the connection is closed

    assert response.status == 408
    assert response.error_code() == "request_timeout"
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS + 10


def test_expect_100_continue_is_answered_only_for_a_body_that_will_be_read(edge_stack, token, tmp_path):
    wav = generate_audio(tmp_path / "small.wav", seconds=1, rate=8000).read_bytes()
    headers = {"Content-Type": "audio/wav", "Content-Length": str(len(wav)), "Expect": "100-continue"}

    with send_head(edge_stack, "POST", "/recordings?name=small.wav", headers, wait=10) as sock:
        refused = read_response(sock)  # no token: refused at once, nothing asked for
    with send_head(
        edge_stack, "POST", "/recordings?name=small.wav", {**headers, "Authorization": f"Bearer {token}"}, wait=10
    ) as sock:
        go_on = read_response(sock)
        sock.sendall(wav)
        stored = read_response(sock)

    assert refused.status == 401
    assert go_on.status == 100
    assert stored.status == 202, stored.body


def test_ordinary_requests_on_one_kept_alive_connection_still_work(edge_stack, token):
    with requests.Session() as session:
        me = session.get(f"{edge_stack.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        registered = session.post(f"{edge_stack.url}/users", json={"name": "kept alive"}, timeout=10)
        unauthorised = session.post(f"{edge_stack.url}/recordings", json={"name": "x.wav"}, timeout=10)
        listed = session.get(f"{edge_stack.url}/recordings", timeout=10)

    assert me.status_code == 200
    assert registered.status_code == 201, registered.text
    assert unauthorised.status_code == 401
    assert listed.status_code == 200


def test_a_link_to_a_deleted_object_answers_404_no_such_key(edge_stack, token, tmp_path):
    auth = {"Authorization": f"Bearer {token}"}
    wav = generate_audio(tmp_path / "gone.wav", seconds=1, rate=22050).read_bytes()
    created = requests.post(f"{edge_stack.url}/recordings?name=gone.wav", data=wav, headers=auth, timeout=30).json()
    recording = wait_for_status(created["links"]["self"], {"ready", "failed"})
    as_json = {"Accept": "application/json", **auth}
    links = [
        requests.get(recording["links"][name], headers=as_json, timeout=10).json()["url"]
        for name in ("audio", "original")
    ]
    assert all(requests.get(link, timeout=10).status_code == 200 for link in links)

    assert requests.delete(recording["links"]["self"], headers=auth, timeout=10).status_code == 204

    for link in links:
        response = requests.get(link, timeout=10)
        assert response.status_code == 404, response.text
        assert ElementTree.fromstring(response.content).findtext("Code") == "NoSuchKey"
        assert requests.head(presigned_head(link), timeout=10).status_code == 404  # a HEAD link: S3's 404 too


def presigned_head(get_link: str) -> str:
    """A presigned HEAD of the object a GET link names (a GET link does not sign HEAD), with the local credentials."""
    parts = urllib.parse.urlsplit(get_link)
    bucket, _, key = urllib.parse.unquote(parts.path).lstrip("/").partition("/")
    s3 = devstack_client("s3", f"{parts.scheme}://{parts.netloc}", "us-east-1")
    return s3.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)


def test_an_answer_to_head_has_no_body_so_the_connection_goes_on(edge_stack):
    host, port = edge_stack.url.removeprefix("http://").split(":")
    recording = "/recordings/0d9f8e1c-0000-4000-8000-000000000000/audio.mp3"
    with socket.create_connection((host, int(port)), timeout=10) as sock:  # one kept-alive connection
        sock.sendall(
            f"HEAD {recording} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\n\r\n"
            "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk

    head, rest = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 415") and b"Content-Length: " in head  # what a GET would have answered
    assert rest.startswith(b"HTTP/1.1 200")  # no body between the two answers
    assert rest.endswith(b'{"status": "ok"}') or rest.endswith(b'{"status":"ok"}')
