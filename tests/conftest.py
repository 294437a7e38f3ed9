"""Fixtures every layer uses: real audio, made by the same static ffmpeg the service runs."""

from __future__ import annotations

import subprocess
from pathlib import Path
from collections.abc import Callable

import pytest

from chalicelib.audio.ffmpeg import ffmpeg_binary

AudioFactory = Callable[..., Path]


def generate_audio(
    path: Path,
    seconds: float = 1.0,
    rate: int = 44100,
    channels: int = 1,
    codec: str = "pcm_s16le",
    extra: tuple[str, ...] = (),
) -> Path:
    """A sine tone of exactly `seconds` at `rate` Hz with `channels` channels, encoded with `codec`. Bit-exact, so a
    16-bit WAV has the canonical 44-byte header."""
    subprocess.run(
        [
            ffmpeg_binary(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate={rate}:duration={seconds + 1}",
            "-t",
            str(seconds),
            "-ac",
            str(channels),
            "-c:a",
            codec,
            "-fflags",
            "+bitexact",
            *extra,
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture
def make_audio(tmp_path: Path) -> AudioFactory:
    """make_audio("x.wav", seconds=2, rate=48000, channels=2, codec="pcm_s24le") -> a real file in tmp_path."""

    def make(name: str = "tone.wav", **options) -> Path:
        return generate_audio(tmp_path / name, **options)

    return make
