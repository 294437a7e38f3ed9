"""The real local stack, started as `make run` starts it, on free ports; stopped with SIGTERM afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Iterator

import pytest
import requests

from devstack.__main__ import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    def __init__(self, process: subprocess.Popen, url: str, log_path: Path) -> None:
        self.process = process
        self.url = url
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_stack(log_path: Path, port: int | None = None, **env: str) -> RunningStack:
    """`python -m devstack` on `port` (a free one by default), its moto on a free port and its data in a directory
    next to the log unless `MOTO_PORT` / `CLOUDSOUND_DATA_DIR` say otherwise: stacks never share data or ports."""
    port = port or free_port()
    env.setdefault("MOTO_PORT", str(free_port()))
    env.setdefault("CLOUDSOUND_DATA_DIR", str(log_path.parent / "data"))
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack"],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PORT": str(port), "WORKERS": "1", **env},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the stack exited early:\n{log_path.read_text()}")
        if "is ready on" in log_path.read_text(errors="replace"):
            return RunningStack(process, url, log_path)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the stack did not become ready:\n{log_path.read_text()}")


def stop_stack(stack: RunningStack) -> int:
    stack.process.send_signal(signal.SIGTERM)
    try:
        return stack.process.wait(timeout=30)
    finally:
        if stack.process.poll() is None:
            os.killpg(stack.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path_factory.mktemp("stack") / "stack.log")
    yield stack
    stop_stack(stack)


def wait_for_status(url: str, wanted: set[str], timeout: float = 60, headers: dict[str, str] | None = None) -> dict:
    """The recording at `url` once its status is one of `wanted`, as the caller `headers` authenticate sees it (a
    `failed` recording is its owner's alone: pass the owner's token to wait for one that may fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = requests.get(url, headers=headers, timeout=10).json()
        if recording["status"] in wanted:
            return recording
        time.sleep(0.3)
    raise AssertionError(f"{url} never reached {wanted}: {recording}")
