"""Timestamps as the API shows them: UTC, ISO 8601, microseconds, a `Z`."""

from __future__ import annotations

import datetime


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso(epoch_seconds: float) -> str:
    """A moment given in epoch seconds (an injected clock's), as the API shows it."""
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
