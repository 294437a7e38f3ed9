"""A child of the local stack never outlives the stack's main process: it is signalled when that process dies (even
by SIGKILL), or at once if it has died already; a worker that goes takes its ffmpeg with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHILD = (
    "from devstack.lifecycle import die_with_parent; die_with_parent(); import time; print('asked', flush=True); "
    "time.sleep(60)"
)
# A stand-in for the stack's main process: starts CHILD with its own pid to watch, says the child's pid, waits.
PARENT = (
    "import os, subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
    "env={**os.environ, 'DEVSTACK_PARENT_PID': str(os.getpid())}, stdout=subprocess.PIPE, text=True); "
    "print(child.pid, child.stdout.readline().strip(), flush=True); time.sleep(60)"
)


def running(pid: int) -> bool:
    """Whether `pid` is alive and not a zombie (an orphan waits, dead, for whoever adopted it to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until_gone(pid: int, timeout: float = 15) -> float:
    started = time.monotonic()
    while running(pid):
        assert time.monotonic() - started < timeout, f"{pid} still runs {timeout} s later"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_child_ends_when_the_main_process_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        pid, said = parent.stdout.readline().split(" ", 1)
        child = int(pid)
        assert said.strip() == "asked" and running(child)

        parent.kill()
        parent.wait(timeout=10)

        assert wait_until_gone(child) < 15
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_child_whose_main_process_is_already_gone_ends_at_once():
    orphan = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=30,
        env={**os.environ, "DEVSTACK_PARENT_PID": "1" if os.getpid() != 1 else "2"},
        check=False,
    )

    assert orphan.returncode == -signal.SIGTERM
    assert b"asked" not in orphan.stdout


def test_kill_children_ends_this_process_s_own_children():
    script = (
        "import subprocess; from devstack.lifecycle import kill_children; "
        "ffmpeg = subprocess.Popen(['sleep', '60']); kill_children(); print(ffmpeg.wait(timeout=10))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30, check=True
    )

    assert done.stdout.strip() == str(-signal.SIGKILL)


def test_a_raw_utf8_request_line_is_read_as_utf8_as_api_gateway_reads_it():
    from devstack.local_api import as_sent

    raw = "/recordings?name=Café del Mar".encode().decode("latin-1")  # what http.server hands over

    assert as_sent(raw) == "/recordings?name=Café del Mar"
    assert as_sent("/recordings?name=Caf%C3%A9") == "/recordings?name=Caf%C3%A9"
    assert as_sent("/x?name=\xff") == "/x?name=\xff"  # not UTF-8: left as it came
