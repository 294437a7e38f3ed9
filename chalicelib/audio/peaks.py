"""Waveform peaks, computed while converting: the loudest sample of each short slice of the audio, 0..1.

ffmpeg hands us the audio a second time as mono unsigned 8-bit PCM at PEAKS_RATE (a second output of the same
process, so the file is decoded once); `PeakMeter` keeps one peak per BUCKET_SECONDS as it streams by, and
`downsample` reduces them to at most MAX_POINTS for drawing. Memory: one byte per slice (180 KB for an hour).

Why 8-bit at 8 kHz: a waveform is drawn at most 1000 points wide and a few hundred pixels high, so 1/128 of full
scale is finer than a pixel; and one byte per sample lets the meter run at C speed (`bytes.translate` to distances
from silence, then `max` of each slice): under 1 s of CPU per hour of audio, where walking 16-bit samples in
Python took ~4 s.
"""

from __future__ import annotations

from collections.abc import Sequence

PEAKS_RATE = 8000  # Hz: keeps the envelope of everything under 4 kHz, where nearly all of a sound's energy lies
BUCKET_SECONDS = 0.02
MAX_POINTS = 1000
_SILENCE = 128  # unsigned 8-bit PCM is centred on 128
_MAGNITUDE = bytes(abs(value - _SILENCE) for value in range(256))  # sample -> distance from silence, 0..128


class PeakMeter:
    """Streaming absolute peaks of unsigned 8-bit mono PCM, one per `bucket` samples."""

    def __init__(self, bucket: int = int(PEAKS_RATE * BUCKET_SECONDS)) -> None:
        self.bucket = bucket
        self._peaks = bytearray()  # one magnitude (0..128) per finished slice
        self._pending = b""  # magnitudes of the slice being filled

    def feed(self, data: bytes) -> None:
        bucket = self.bucket
        magnitudes = self._pending + data.translate(_MAGNITUDE)
        whole = len(magnitudes) - len(magnitudes) % bucket
        self._peaks.extend(max(magnitudes[start : start + bucket]) for start in range(0, whole, bucket))
        self._pending = magnitudes[whole:]

    def finish(self) -> list[float]:
        if self._pending:
            self._peaks.append(max(self._pending))
            self._pending = b""
        return [magnitude / _SILENCE for magnitude in self._peaks]


def downsample(peaks: Sequence[float], points: int = MAX_POINTS) -> list[float]:
    """At most `points` values, each the largest of the slices it stands for (peaks never get smaller)."""
    if len(peaks) <= points:
        return [round(value, 4) for value in peaks]
    step = len(peaks) / points
    return [round(max(peaks[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]), 4) for i in range(points)]
