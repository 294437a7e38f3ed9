"""Uploads in parts against the real local stack (moto behind the strict S3 layer, the queue worker): the transfer
cut part-way — a part's connection killed mid-body, the CLI process killed — and resumed to a `ready` recording whose
decoded duration and original bytes match the file."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import PROJECT_ROOT, RunningStack, start_stack, stop_stack, wait_for_status
from tests.e2e.test_journey import decoded_seconds

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("parts") / "stack.log",
        CLOUDSOUND_MULTIPART_PART_BYTES=str(5 * MIB),
        CLOUDSOUND_MULTIPART_FROM_BYTES=str(16 * MIB),
    )
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 44 MiB of audio: 120 s of 96 kHz stereo, 9 parts."""
    return generate_audio(tmp_path_factory.mktemp("audio") / "master.wav", seconds=120, rate=96000, channels=2)


def register(stack: RunningStack, name: str) -> dict[str, str]:
    response = requests.post(f"{stack.url}/users", json={"name": name}, timeout=10)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cut_mid_body(url: str, body: bytes) -> None:
    """Send the PUT's headers and half its body, then drop the connection (a network that went away)."""
    link = urllib.parse.urlsplit(url)
    with socket.create_connection((link.hostname, link.port or 80), timeout=10) as connection:
        head = (
            f"PUT {link.path}?{link.query} HTTP/1.1\r\nHost: {link.netloc}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        connection.sendall(head.encode() + body[: len(body) // 2])
        connection.shutdown(socket.SHUT_RDWR)


def assert_ready_and_intact(stack: RunningStack, headers: dict[str, str], recording_id: str, data: bytes) -> None:
    url = f"{stack.url}/recordings/{recording_id}"
    ready = wait_for_status(url, {"ready", "failed"}, timeout=120, headers=headers)
    assert ready["status"] == "ready", ready
    assert ready["original"]["size"] == len(data)
    original = requests.get(f"{url}/audio?format=original", headers={**headers, "Accept": "application/json"}).json()
    assert sha256(requests.get(original["url"], timeout=60).content) == sha256(data)
    mp3 = requests.get(requests.get(f"{url}/audio", headers={**headers, "Accept": "application/json"}).json()["url"])
    assert decoded_seconds(mp3.content) == pytest.approx(120, abs=0.05)


def test_a_part_cut_mid_body_is_sent_again_and_the_upload_completes(stack, master):
    headers = register(stack, "dora")
    data = master.read_bytes()
    created = requests.post(
        f"{stack.url}/recordings", json={"name": "master.wav", "size": len(data)}, headers=headers, timeout=10
    ).json()
    assert created["upload"]["method"] == "multipart"
    state = requests.get(created["upload"]["url"], headers=headers, timeout=10).json()
    part_size = state["part_size"]

    def body(number: int) -> bytes:
        return data[(number - 1) * part_size : number * part_size]

    for part in state["parts"][:3]:
        assert requests.put(part["url"], data=body(part["number"]), timeout=30).status_code == 200
    cut_mid_body(state["parts"][3]["url"], body(4))

    refused = requests.post(f"{created['upload']['url']}/complete", headers=headers, timeout=30)
    assert refused.status_code == 409 and refused.json()["error"]["missing"] == list(range(4, 10))
    resumed = requests.get(created["upload"]["url"], headers=headers, timeout=10).json()
    assert [p["number"] for p in resumed["parts"] if p["url"]] == list(range(4, 10))  # the cut part counts for nothing
    for part in resumed["parts"]:
        if part["url"]:
            assert requests.put(part["url"], data=body(part["number"]), timeout=30).status_code == 200
    done = requests.post(f"{created['upload']['url']}/complete", headers=headers, timeout=60)
    assert done.status_code == 202 and done.json()["status"] == "processing"

    assert_ready_and_intact(stack, headers, created["id"], data)


def run_cli(stack: RunningStack, config: Path, *args: str, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudsound", *args],
        cwd=config.parent,
        env={
            **os.environ,
            "CLOUDSOUND_URL": stack.url,
            "CLOUDSOUND_CONFIG": str(config),
            "PYTHONPATH": str(PROJECT_ROOT),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def held_parts(stack: RunningStack, headers: dict[str, str], recording_id: str) -> dict[int, str]:
    state = requests.get(f"{stack.url}/recordings/{recording_id}/upload", headers=headers, timeout=10).json()
    return {part["number"]: part["etag"] for part in state.get("parts", []) if part["etag"]}


def test_the_cli_killed_mid_upload_resumes_and_sends_only_what_is_missing(stack, master, tmp_path):
    config = tmp_path / "config.json"
    register_run = run_cli(stack, config, "register", "erin")
    assert register_run.wait(timeout=60) == 0, register_run.stderr.read() if register_run.stderr else ""
    headers = {"Authorization": f"Bearer {json.loads(config.read_text())['token']}"}

    first = run_cli(stack, config, "upload", str(master), "--parallel", "1")
    recording_id, before = None, {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        uploads = tmp_path / "uploads.json"
        if recording_id is None and uploads.exists():
            recording_id = next(iter(json.loads(uploads.read_text()).values()), None)
        if recording_id is not None:
            before = held_parts(stack, headers, recording_id)
            if len(before) >= 2:
                first.send_signal(signal.SIGKILL)
                break
        time.sleep(0.01)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL, "the CLI finished before it could be killed"
    before = held_parts(stack, headers, recording_id)
    assert 2 <= len(before) < 9

    second = run_cli(stack, config, "--json", "upload", str(master), "--wait")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert json.loads(out)["id"] == recording_id  # the same upload, resumed
    held_bytes = 5 * MIB * len(before)  # the last part (the smaller) is never among the first held with --parallel 1
    assert f"{held_bytes} of {master.stat().st_size} bytes already in storage; sending {9 - len(before)} part" in err
    assert_ready_and_intact(stack, headers, recording_id, master.read_bytes())
