"""Waveform peaks, computed while converting: the loudest sample of each short slice of the audio, 0..1.

ffmpeg hands us the audio a second time as mono 16-bit PCM at PEAKS_RATE (a second output of the same process, so
the file is decoded once); `PeakMeter` keeps one peak per BUCKET_SECONDS as it streams by, and `downsample`
reduces them to at most MAX_POINTS for drawing. Memory: one float per slice (72,000 for an hour).
"""

from __future__ import annotations

from array import array
from typing import Sequence

PEAKS_RATE = 8000  # Hz: keeps the envelope of everything under 4 kHz, where nearly all of a sound's energy lies
BUCKET_SECONDS = 0.02
MAX_POINTS = 1000
_FULL_SCALE = 32768.0


class PeakMeter:
    """Streaming absolute peaks of 16-bit little-endian mono PCM, one per `bucket` samples."""

    def __init__(self, bucket: int = int(PEAKS_RATE * BUCKET_SECONDS)) -> None:
        self.bucket = bucket
        self.peaks = array("f")
        self._carry = b""
        self._current = 0  # peak of the slice being filled
        self._filled = 0

    def feed(self, data: bytes) -> None:
        data = self._carry + data
        usable = len(data) - len(data) % 2
        self._carry = data[usable:]
        samples = array("h")
        samples.frombytes(data[:usable])
        position = 0
        while position < len(samples):
            take = min(self.bucket - self._filled, len(samples) - position)
            piece = samples[position:position + take]
            self._current = max(self._current, max(piece), -min(piece))
            self._filled += take
            position += take
            if self._filled == self.bucket:
                self._close_slice()

    def finish(self) -> list[float]:
        if self._filled:
            self._close_slice()
        return list(self.peaks)

    def _close_slice(self) -> None:
        self.peaks.append(min(self._current / _FULL_SCALE, 1.0))
        self._current = 0
        self._filled = 0


def downsample(peaks: Sequence[float], points: int = MAX_POINTS) -> list[float]:
    """At most `points` values, each the largest of the slices it stands for (peaks never get smaller)."""
    if len(peaks) <= points:
        return [round(value, 4) for value in peaks]
    step = len(peaks) / points
    return [round(max(peaks[int(i * step):max(int((i + 1) * step), int(i * step) + 1)]), 4) for i in range(points)]
