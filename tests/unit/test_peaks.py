"""Waveform peaks: length, range, silence, a steady tone, and that they come out of a real conversion."""

from __future__ import annotations

import io
import math
import pytest

from chalicelib.audio.convert import convert_to_mp3
from chalicelib.audio.peaks import PeakMeter, downsample


def pcm(samples) -> bytes:
    """Signed sample values (-128..127) as unsigned 8-bit PCM, the format ffmpeg hands the meter."""
    return bytes(value + 128 for value in samples)


def test_one_peak_per_bucket_even_across_chunk_boundaries():
    data = pcm([4, -8, 0, 0, 64, 0, 0, 0, -128, 0])

    meter = PeakMeter(bucket=4)
    for position in range(0, len(data), 3):  # chunks that do not line up with the slices
        meter.feed(data[position : position + 3])

    assert meter.finish() == pytest.approx([8 / 128, 0.5, 1.0])


def test_positive_full_scale_is_one_step_short_of_one():
    meter = PeakMeter(bucket=2)
    meter.feed(pcm([127, 0]))

    assert meter.finish() == [127 / 128]


def test_silence_gives_zeros():
    meter = PeakMeter(bucket=100)
    meter.feed(pcm([0] * 1000))

    assert meter.finish() == [0.0] * 10


def test_a_sine_gives_a_constant_envelope_at_its_amplitude():
    meter = PeakMeter(bucket=160)
    meter.feed(pcm([round(64 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(8000)]))

    peaks = meter.finish()
    assert len(peaks) == 50
    assert all(p == pytest.approx(0.5, abs=1 / 128) for p in peaks)


def test_downsampling_keeps_the_largest_and_bounds_the_length():
    peaks = [0.1] * 5000
    peaks[2503] = 0.9

    reduced = downsample(peaks, 1000)

    assert len(reduced) == 1000
    assert max(reduced) == 0.9 and min(reduced) == 0.1
    assert downsample([0.5, 0.25]) == [0.5, 0.25]


def test_a_conversion_returns_peaks_in_range(make_audio):
    loud_then_silent = make_audio(seconds=3, rate=8000)
    result = convert_to_mp3(str(loud_then_silent), io.BytesIO().write)

    assert 0 < len(result.peaks) <= 1000
    assert all(0.0 <= p <= 1.0 for p in result.peaks)
    assert max(result.peaks) == pytest.approx(0.125, abs=0.01)  # ffmpeg's sine source is at 1/8 of full scale
