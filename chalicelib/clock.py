"""Time, in one place so tests can move it: `now()` (epoch seconds) and timestamps as the API shows them (UTC, ISO
8601, microseconds, a `Z`). Code that decides by time (a share's expiry) calls `clock.now()` at the moment it
decides, so a test sets the clock with `monkeypatch.setattr(clock, "now", ...)` instead of sleeping."""

from __future__ import annotations

import datetime
import time


def now() -> float:
    return time.time()


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso(epoch_seconds: float) -> str:
    """A moment given in epoch seconds (an injected clock's), as the API shows it."""
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
