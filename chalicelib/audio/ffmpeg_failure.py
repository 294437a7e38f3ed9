"""How an ffmpeg pass ended, told as the conversion's outcome: the file is at fault (a reason for its owner), the
source could not be fetched (SourceUnavailable), or ffmpeg was stopped before it finished (ConversionInterrupted).
The two last raise: a retry may do better."""

from __future__ import annotations

import signal

from chalicelib.audio.conversion import ConversionInterrupted, SourceUnavailable

# ffmpeg's own words when the source could not be fetched (as opposed to fetched but not decodable).
_UNREACHABLE_MARKERS = (
    "Server returned",
    "Connection refused",
    "Connection timed out",
    "Failed to resolve",
    "Connection reset",
    "No such file or directory",
    "No space left on device",  # /tmp full: not the file's fault, a retry on another instance may succeed
)


def failure(returncode: int, log: list[str], facts: dict[str, str], source: str) -> str | None:
    """Why an ffmpeg that has ended failed, if it did; raises where a retry may do better."""
    interrupted = interruption(returncode, facts)
    if interrupted is not None:  # before anything else: what it wrote, or failed to open, is only a part
        raise ConversionInterrupted(interrupted)
    if returncode == 0:
        return None
    reason = failure_reason([line.replace(source, "<input>") for line in log])
    if any(marker in reason for marker in _UNREACHABLE_MARKERS):
        raise SourceUnavailable(reason)
    return reason


def interruption(returncode: int, facts: dict[str, str]) -> str | None:
    """Why ffmpeg did not finish, if a signal stopped it; None if it ran its course (successfully or not)."""
    if returncode < 0:
        return f"ffmpeg was killed by {signal_name(-returncode)}"
    if "signal" in facts:
        received = facts["signal"]
        return f"ffmpeg stopped early on {signal_name(int(received)) if received else 'repeated signals'}"
    return None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def failure_reason(log: list[str]) -> str:
    """The last line of the log that says something (not a stream or input description)."""
    meaningful = [line.strip() for line in log if line.strip() and not line.startswith((" ", "Input #", "Stream"))]
    return meaningful[-1] if meaningful else "unknown error"
