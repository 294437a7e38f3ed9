"""The local stack stops and starts whole: a SIGKILL of one of its processes brings the rest down, so `make run`
starts again at once on the same ports and data; `make run` right after Ctrl-C waits for the stack before it; a
DELETE acknowledged just before a SIGKILL of the process group comes back undone whole or not at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import generate_audio
from tests.e2e.conftest import RunningStack, start_stack, stop_stack, wait_for_status
from tests.e2e.test_restart import same_ports

EXIT_SECONDS = 15  # what "brings the rest down" may take on a loaded 2-core machine (it takes well under a second)


def session_processes(session: int) -> list[str]:
    """`pid command` of every process still running in the stack's session (its children keep it when orphaned).
    A zombie is not running: it holds no port and no file, and waits for whoever adopted it to reap it."""
    listed = subprocess.run(
        ["ps", "-e", "-o", "sid=,stat=,pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split(None, 3) for line in listed.splitlines()]
    return [
        " ".join(row[2:]) for row in rows if len(row) >= 3 and row[0] == str(session) and not row[1].startswith("Z")
    ]


def wait_until_the_session_is_empty(stack: RunningStack, timeout: float = EXIT_SECONDS) -> float:
    """Seconds until no process of the stack's session is left; fails naming the survivors."""
    session = stack.process.pid
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        stack.process.poll()  # reap the main process: a zombie would count as running
        if not session_processes(session):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"still running {timeout} s later: {session_processes(session)}")


def kill_what_is_left(stack: RunningStack) -> None:
    try:
        os.killpg(stack.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    stack.process.wait(timeout=10)


def child_pid(stack: RunningStack, pattern: str) -> int:
    found = subprocess.run(
        ["pgrep", "-s", str(stack.process.pid), "-f", pattern], capture_output=True, text=True, check=False
    )
    [pid] = [int(pid) for pid in found.stdout.split()]
    return pid


def a_ready_recording(stack: RunningStack, tmp_path: Path, name: str, token: str | None = None) -> tuple[str, dict]:
    """(token, recording) for a 1 s recording converted on `stack`."""
    token = token or requests.post(f"{stack.url}/users", json={"name": "keeper"}, timeout=10).json()["token"]
    wav = generate_audio(tmp_path / name, seconds=1, rate=22050).read_bytes()
    created = requests.post(
        f"{stack.url}/recordings?name={name}", data=wav, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 202, created.text
    recording = wait_for_status(created.json()["links"]["self"], {"ready", "failed"})
    assert recording["status"] == "ready", recording
    return token, recording


def wait_until_snapshotted(data_dir: Path, recording_ids: list[str], timeout: float = 30) -> None:
    """Until the data directory's table snapshot holds every one of `recording_ids` as `ready` (the mirror writes it
    on a timer; polling it replaces sleeping for the stated loss bound)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = {
            item.get("id", {}).get("S")
            for path in (data_dir / "tables").glob("*.jsonl")
            for item in map(json.loads, path.read_text().splitlines())
            if item.get("status", {}).get("S") == "ready"
        }
        if ready.issuperset(recording_ids):
            return
        time.sleep(0.05)
    raise AssertionError(f"{recording_ids} never reached the table snapshot in {data_dir} as ready")


def assert_whole(recording: dict) -> None:
    """A ready recording whose every file is there: its record, its peaks, its MP3 and its original."""
    again = requests.get(recording["links"]["self"], timeout=10)
    assert again.status_code == 200 and again.json()["status"] == "ready", again.text
    assert requests.get(recording["links"]["peaks"], timeout=10).status_code == 200
    for link in (recording["links"]["audio"], recording["links"]["original"]):
        downloaded = requests.get(link, timeout=30)
        assert downloaded.status_code == 200, downloaded.text
        assert downloaded.content


@pytest.mark.parametrize("victim", ["main", "chalice local"])
def test_a_sigkill_of_one_process_brings_the_stack_down_and_it_starts_again_at_once(tmp_path, victim):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        _, recording = a_ready_recording(first, tmp_path, "kept.wav")
        wait_until_snapshotted(Path(str(ports["CLOUDSOUND_DATA_DIR"])), [recording["id"]])
        pid = first.process.pid if victim == "main" else child_pid(first, "devstack.local_api|chalice local")
        os.kill(pid, signal.SIGKILL)
        seconds = wait_until_the_session_is_empty(first)
        print(f"\nSIGKILL of {victim}: every process of the stack gone in {seconds:.2f} s")
    finally:
        kill_what_is_left(first)

    started = time.monotonic()
    second = start_stack(tmp_path / "second.log", **ports)
    try:
        print(f"the next start was ready in {time.monotonic() - started:.2f} s")
        assert "restored from" in second.log()
        assert_whole(recording)
    finally:
        stop_stack(second)


def test_a_start_right_after_ctrl_c_waits_for_the_stack_before_it(tmp_path):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        _, recording = a_ready_recording(first, tmp_path, "kept.wav")
    finally:
        os.killpg(first.process.pid, signal.SIGINT)  # Ctrl-C; `make` returns at once, the stack is still stopping

    second = start_stack(tmp_path / "second.log", **ports)  # `make run` again, at once
    try:
        assert first.process.wait(timeout=30) == 0  # the first stopped cleanly, before the second took its data
        assert "another local stack is using" not in second.log()
        assert_whole(recording)
    finally:
        stop_stack(second)


def test_a_delete_acknowledged_just_before_a_sigkill_comes_back_undone_whole_or_not_at_all(tmp_path):
    ports = same_ports(tmp_path)
    first = start_stack(tmp_path / "first.log", **ports)
    try:
        token, kept = a_ready_recording(first, tmp_path, "kept.wav")
        _, doomed = a_ready_recording(first, tmp_path, "doomed.wav", token)
        wait_until_snapshotted(Path(str(ports["CLOUDSOUND_DATA_DIR"])), [kept["id"], doomed["id"]])
        deleted = requests.delete(doomed["links"]["self"], headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert deleted.status_code == 204
    finally:
        kill_what_is_left(first)  # at once: the mirror's timer has not come round
    wait_until_the_session_is_empty(first)

    second = start_stack(tmp_path / "second.log", **ports)
    try:
        assert_whole(kept)
        listed = requests.get(f"{second.url}/recordings", timeout=10).json()["items"]
        if requests.get(doomed["links"]["self"], timeout=10).status_code == 404:  # the delete happened, whole
            assert doomed["id"] not in [item["id"] for item in listed]
            assert requests.get(doomed["links"]["peaks"], timeout=10).status_code == 404
        else:  # the delete was lost, whole: the recording is as it was
            assert doomed["id"] in [item["id"] for item in listed]
            assert_whole(doomed)
    finally:
        stop_stack(second)
