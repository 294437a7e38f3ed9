"""Watching a running ffmpeg: its stderr and the waveform's pipe drained on threads of their own (so it never blocks
on either), the facts its log tells kept as they come, and its limits enforced while it runs — the audio a file may
decode to (seconds × rate × channels) and the wall clock."""

from __future__ import annotations

import collections
import os
import subprocess
import threading

from chalicelib.audio.ffmpeg_log import PROGRESS_KEYS, note_line, source_info
from chalicelib.audio.peaks import PeakMeter

_STDERR_LINES_KEPT = 200


class Deadline:
    """Kills `processes` (the list may grow) once `seconds` have passed, noting it in `facts`; None: no limit."""

    def __init__(self, seconds: float | None, processes: list[subprocess.Popen[bytes]], facts: dict[str, str]) -> None:
        self.processes = processes
        self._timer = threading.Timer(seconds, self._expire, args=(seconds, facts)) if seconds else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _expire(self, seconds: float, facts: dict[str, str]) -> None:
        facts["timed_out"] = str(seconds)
        for process in list(self.processes):
            if process.poll() is None:
                process.kill()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class Watch:
    """One ffmpeg pass, watched: `log` keeps the tail of its stderr, `facts` what the log told, `meter` the peaks
    of the waveform's PCM read from `peaks_fd`; `deadline` stops it (and the processes added to it) in time."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        peaks_fd: int,
        max_channel_samples: int | None,
        max_wall_seconds: float | None,
    ) -> None:
        self.log: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
        self.facts: dict[str, str] = {}
        self.meter = PeakMeter()
        self._readers = [
            threading.Thread(
                target=_read_stderr, args=(process, self.log, self.facts, max_channel_samples), daemon=True
            ),
            threading.Thread(target=_read_peaks, args=(peaks_fd, self.meter), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.deadline = Deadline(max_wall_seconds, [process], self.facts)

    def join(self) -> None:
        """Wait for the readers, once the process has ended."""
        for reader in self._readers:
            reader.join()


def _read_peaks(fd: int, meter: PeakMeter) -> None:
    # Buffered, so each read waits for a whole 64 KiB (8 s of audio) rather than handing the meter ffmpeg's
    # 1 KiB packets one by one.
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            meter.feed(chunk)


def _read_stderr(
    process: subprocess.Popen[bytes],
    lines: collections.deque[str],
    facts: dict[str, str],
    max_channel_samples: int | None,
) -> None:
    """Drain stderr (so ffmpeg never blocks on it), keeping the tail and the facts we parse; stop ffmpeg once the
    audio decoded passes `max_channel_samples`."""
    assert process.stderr is not None
    for raw in process.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        key, sep, value = line.partition("=")
        if sep and key in PROGRESS_KEYS:
            facts[key] = value
            if key == "out_time_us" and _over_budget(facts, value, max_channel_samples):
                process.kill()
            continue
        note_line(line, facts)
        lines.append(line)


def _over_budget(facts: dict[str, str], out_time_us: str, max_channel_samples: int | None) -> bool:
    """Whether the audio decoded so far has just passed `max_channel_samples` (noted in `facts`, with the seconds
    it allowed at the source's rate and channels)."""
    if not max_channel_samples or "over_budget" in facts or not out_time_us.isdigit():
        return False
    info = source_info(facts)
    if not (info and info.channels):
        return False
    allowed = max_channel_samples / (info.sample_rate * info.channels)
    if int(out_time_us) / 1_000_000 <= allowed:
        return False
    facts["over_budget"] = str(allowed)
    return True
