"""A worker killed with SIGKILL in the middle of a long conversion: the stack restarts it, the message comes back,
and the recording ends `ready` and complete. Nothing half-written is ever served."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import start_stack, stop_stack, wait_for_status
from tests.e2e.test_journey import decoded_seconds


def processes(session: int, pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-s", str(session), "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def start_a_long_conversion(stack, tmp_path) -> dict:
    """A 10-minute recording uploaded through its slot, with its ffmpeg well into the conversion; returns it."""
    base = stack.url
    token = requests.post(f"{base}/users", json={"name": "victim"}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    wav = generate_audio(tmp_path / "long.wav", seconds=600, rate=44100, channels=2)
    slot = requests.post(
        f"{base}/recordings",
        json={"name": "long.wav", "size": wav.stat().st_size, "multipart": False},
        headers=auth,
        timeout=10,
    ).json()
    with wav.open("rb") as body:
        assert (
            requests.put(slot["upload"]["url"], data=body, headers=slot["upload"]["headers"], timeout=120).status_code
            == 200
        )
    deadline = time.monotonic() + 60
    while not processes(stack.process.pid, "ffmpeg") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes(stack.process.pid, "ffmpeg"), "the conversion never started"
    time.sleep(1.0)  # well into it: part of the MP3 has been uploaded
    return slot


def assert_ends_ready_and_complete(slot: dict) -> None:
    ready = wait_for_status(slot["links"]["self"], {"ready", "failed"}, timeout=120)

    assert ready["status"] == "ready", ready
    assert ready["duration"] == pytest.approx(600.0, abs=0.01)
    mp3 = requests.get(slot["links"]["audio"], timeout=60).content
    assert len(mp3) == ready["mp3"]["size"]
    assert decoded_seconds(mp3) == pytest.approx(600.0, abs=0.1)


def test_a_worker_killed_mid_conversion_is_replaced_and_the_recording_ends_ready(tmp_path):
    stack = start_stack(tmp_path / "stack.log", CLOUDSOUND_LOCAL_VISIBILITY_SECONDS="3")
    try:
        slot = start_a_long_conversion(stack, tmp_path)
        [worker] = processes(stack.process.pid, "devstack.worker")
        os.kill(worker, signal.SIGKILL)
        seen_while_converting = requests.get(slot["links"]["self"], timeout=10).json()
        assert seen_while_converting["status"] == "processing"
        assert requests.get(slot["links"]["audio"], timeout=10).status_code == 409  # no half-written MP3 served

        assert_ends_ready_and_complete(slot)
        assert "restarting it" in stack.log()
    finally:
        stop_stack(stack)


def test_an_ffmpeg_killed_mid_conversion_is_retried_and_the_recording_ends_ready(tmp_path):
    """As the OOM killer would: only ffmpeg dies. The conversion is an interruption, retried, never `failed`."""
    stack = start_stack(tmp_path / "stack.log")
    try:
        slot = start_a_long_conversion(stack, tmp_path)
        for ffmpeg in processes(stack.process.pid, "ffmpeg"):
            os.kill(ffmpeg, signal.SIGKILL)
        statuses = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = requests.get(slot["links"]["self"], timeout=10).json()["status"]
            statuses.add(status)
            if status in ("ready", "failed"):
                break
            time.sleep(0.2)

        assert statuses == {"processing", "ready"}  # never `failed` on the way
        assert_ends_ready_and_complete(slot)
        assert "ConversionInterrupted" in stack.log()
    finally:
        stop_stack(stack)
