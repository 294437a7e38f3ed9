"""The slowest input the limits allow: for each source format, the longest audio the converter accepts (the
duration cap, or the channel-sample budget for rich formats), its conversion time projected from a 2-minute sample
of noise (the converter's own ffmpeg pass, MP3 and waveform outputs), against the converter's Lambda timeout.

    .venv/bin/python -m bench.limits
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.aws_costs import CONVERTER_MEMORY_MB, FULL_VCPU_MB, LAMBDA_TIMEOUT_SECONDS, lambda_seconds
from chalicelib.audio.convert import convert_to_mp3
from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.config import settings

SAMPLE_SECONDS = 120
FORMATS = [
    (44_100, 2, "pcm_s16le"),
    (48_000, 2, "pcm_s24le"),
    (96_000, 2, "pcm_s24le"),
    (96_000, 6, "pcm_s24le"),
    (192_000, 8, "pcm_s24le"),
]


def measure() -> list[dict]:
    limits = settings()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for rate, channels, codec in FORMATS:
            path = Path(scratch) / f"{rate}-{channels}.wav"
            subprocess.run(
                [
                    ffmpeg_binary(),
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    f"anoisesrc=r={rate}:d={SAMPLE_SECONDS}:a=0.3",
                    "-af",
                    f"aformat=channel_layouts={channels}c",
                    "-c:a",
                    codec,
                    str(path),
                ],
                check=True,
            )
            started, before = time.perf_counter(), os.times()
            convert_to_mp3(str(path), lambda chunk: None)
            wall, after = time.perf_counter() - started, os.times()
            cpu = sum(after[:4]) - sum(before[:4])  # this process's and its ffmpeg's
            path.unlink()
            allowed = min(limits.max_duration_seconds, limits.max_channel_samples / (rate * channels))
            scale = allowed / SAMPLE_SECONDS
            rows.append(
                {
                    "format": f"{rate / 1000:g} kHz, {channels} ch, {codec[4:]}",
                    "allowed": allowed,
                    "sample": wall,
                    "here": wall * scale,
                    "lambda": lambda_seconds(cpu, wall) * scale,
                }
            )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| source | longest accepted | 2 min converted in | projected here "
        f"| projected on a {CONVERTER_MEMORY_MB:,} MB Lambda ({CONVERTER_MEMORY_MB / FULL_VCPU_MB:.2f} vCPU) "
        f"| of the {LAMBDA_TIMEOUT_SECONDS} s timeout |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['format']} | {row['allowed'] / 60:,.1f} min | {row['sample']:.2f} s | "
            f"{row['here']:,.0f} s | {row['lambda']:,.0f} s | {row['lambda'] / LAMBDA_TIMEOUT_SECONDS:.0%} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
