"""The local stack keeps its data across restarts: stopped with SIGTERM, killed with SIGKILL (the whole process
group) or interrupted by Ctrl-C mid-conversion, then started again on the same ports and data directory — as a person
running `make run` twice would."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from devstack.__main__ import free_port
from devstack.persistence import LOSS_BOUND_SECONDS
from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status
from tests.e2e.test_crash import assert_ends_ready_and_complete, start_a_long_conversion


@dataclass
class Library:
    """What the first run created, and what the second must still serve."""

    token: str
    user_id: int
    last_user_id: int
    recording: dict
    wav: bytes
    peaks: dict
    original_link: str
    mp3_link: str
    mp3: bytes
    slot: dict
    later: bytes


def same_ports(tmp_path: Path) -> dict[str, object]:
    """What `make run` keeps from one run to the next: its ports and its data directory."""
    return {"port": free_port(), "MOTO_PORT": str(free_port()), "CLOUDSOUND_DATA_DIR": str(tmp_path / "data")}


def fill(stack: RunningStack, tmp_path: Path) -> Library:
    base = stack.url
    alice = requests.post(f"{base}/users", json={"name": "alice"}, timeout=10).json()
    bob = requests.post(f"{base}/users", json={"name": "bob"}, timeout=10).json()
    auth = {"Authorization": f"Bearer {alice['token']}"}
    wav = generate_audio(tmp_path / "take1.wav", seconds=2, rate=22050).read_bytes()
    created = requests.post(f"{base}/recordings?name=take1.wav&kind=song", data=wav, headers=auth, timeout=30).json()
    recording = wait_for_status(created["links"]["self"], {"ready", "failed"})
    assert recording["status"] == "ready", recording
    json_link = {"Accept": "application/json"}
    original_link = requests.get(recording["links"]["original"], headers=json_link, timeout=10).json()["url"]
    mp3_link = requests.get(recording["links"]["audio"], headers=json_link, timeout=10).json()["url"]
    mp3 = requests.get(mp3_link, timeout=30).content
    later = generate_audio(tmp_path / "later.wav", seconds=1, rate=22050).read_bytes()
    slot = requests.post(
        f"{base}/recordings", json={"name": "later.wav", "size": len(later)}, headers=auth, timeout=10
    ).json()
    assert slot["status"] == "awaiting_upload", slot
    return Library(
        token=alice["token"],
        user_id=alice["id"],
        last_user_id=bob["id"],
        recording=recording,
        wav=wav,
        peaks=requests.get(recording["links"]["peaks"], timeout=10).json(),
        original_link=original_link,
        mp3_link=mp3_link,
        mp3=mp3,
        slot=slot,
        later=later,
    )


def assert_everything_survived(stack: RunningStack, library: Library, tmp_path: Path) -> None:
    base = stack.url
    auth = {"Authorization": f"Bearer {library.token}"}

    me = requests.get(f"{base}/me", headers=auth, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == library.user_id
    newcomer = requests.post(f"{base}/users", json={"name": "carol"}, timeout=10).json()
    assert newcomer["id"] == library.last_user_id + 1  # the id counter carried on: old links keep their person

    listed = requests.get(f"{base}/recordings?owner={library.user_id}", headers=auth, timeout=10).json()["items"]
    assert library.recording["id"] in [item["id"] for item in listed]
    again = requests.get(library.recording["links"]["self"], timeout=10).json()
    assert again["status"] == "ready"
    assert again["mp3"] == library.recording["mp3"]
    assert requests.get(library.recording["links"]["peaks"], timeout=10).json() == library.peaks

    # links issued before the restart, still within their 15 minutes
    assert requests.get(library.original_link, timeout=30).content == library.wav
    assert requests.get(library.mp3_link, timeout=30).content == library.mp3

    # the upload slot still takes its file, once, and converts it
    upload = library.slot["upload"]
    assert requests.put(upload["url"], data=library.later, headers=upload["headers"], timeout=30).status_code == 200
    assert owners_view_once_done(library.slot["links"]["self"], auth)["status"] == "ready"
    # nothing restored was converted again: the only conversion of this run is the slot's file
    assert stack.log().count('"event":"conversion"') == 1, stack.log()


def owners_view_once_done(url: str, auth: dict[str, str], timeout: float = 60) -> dict:
    """The recording as its owner sees it (a slot is nobody else's business until its file is converted), once its
    conversion has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = requests.get(url, headers=auth, timeout=10).json()
        if recording["status"] in ("ready", "failed"):
            return recording
        time.sleep(0.3)
    raise AssertionError(f"{url} never finished converting: {recording}")


def kill_process_group(stack: RunningStack) -> None:
    os.killpg(stack.process.pid, signal.SIGKILL)
    stack.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # children are reaped by init; wait until none is left
        if not subprocess.run(["pgrep", "-s", str(stack.process.pid)], capture_output=True).stdout:
            return
        time.sleep(0.1)


def test_a_restart_after_sigterm_keeps_users_tokens_recordings_and_links(tmp_path):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        library = fill(first, tmp_path)
    finally:
        assert stop_stack(first) == 0

    second = start_stack(tmp_path / "second.log", **ports)
    try:
        assert "restored from" in second.log()
        assert_everything_survived(second, library, tmp_path)
    finally:
        stop_stack(second)


def test_a_sigkill_of_the_whole_process_group_loses_nothing_acknowledged_more_than_two_seconds_before(tmp_path):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        library = fill(first, tmp_path)
        time.sleep(LOSS_BOUND_SECONDS)
    finally:
        kill_process_group(first)
    assert "stopped" not in first.log()  # it really was killed, with no chance to save anything

    second = start_stack(tmp_path / "second.log", **ports)
    try:
        assert_everything_survived(second, library, tmp_path)
    finally:
        stop_stack(second)


def test_a_conversion_interrupted_by_ctrl_c_finishes_after_the_next_start(tmp_path):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        slot = start_a_long_conversion(first, tmp_path)
    finally:
        os.killpg(first.process.pid, signal.SIGINT)  # what Ctrl-C sends to every process of the terminal's group
        assert first.process.wait(timeout=30) == 0
    assert '"outcome":"ready"' not in first.log()  # ffmpeg died with the stop: the conversion did not finish

    second = start_stack(tmp_path / "second.log", **ports)
    try:
        assert "re-enqueued 1 conversion(s)" in second.log()
        assert_ends_ready_and_complete(slot)
    finally:
        stop_stack(second)
