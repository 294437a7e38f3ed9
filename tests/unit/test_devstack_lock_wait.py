"""A stack started while the one before it is still stopping (Ctrl-C, then `make run` at once) waits for it to let
go of the data directory, for a bounded time, then refuses as before."""

from __future__ import annotations

import threading
import time

import pytest

from devstack.datadir import DataDirectory, DataDirectoryError


def test_opening_waits_for_the_stack_that_is_stopping(tmp_path):
    stopping = DataDirectory.open(tmp_path / "data")
    threading.Timer(0.3, stopping.close).start()  # the previous stack lets go while this one waits

    started = time.monotonic()
    second = DataDirectory.open(tmp_path / "data", wait_seconds=20)
    try:
        assert 0.2 < time.monotonic() - started < 20
    finally:
        second.close()


def test_opening_refuses_after_the_wait_when_the_other_stack_keeps_running(tmp_path):
    running = DataDirectory.open(tmp_path / "data")
    try:
        started = time.monotonic()
        with pytest.raises(DataDirectoryError, match="another local stack is using"):
            DataDirectory.open(tmp_path / "data", wait_seconds=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        running.close()
