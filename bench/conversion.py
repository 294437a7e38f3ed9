"""Conversion benchmark: the convert handler end to end (S3 original -> ffmpeg -> MP3 in S3 -> metadata, on the
embedded moto server) against the raw ffmpeg CLI on the same file, interleaved, medians; and the naive design
(pydub's AudioSegment on the whole file) once per size.

    .venv/bin/python -m bench.conversion [--durations 10,60,600,3600] [--repeat 3]

Prints wall and CPU seconds, the handler/ffmpeg ratio, audio seconds per wall second and peak RSS. Each run is a
fresh Python process, so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chalicelib.audio.ffmpeg import ffmpeg_binary

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# A warm Lambda: clients already made (a warm-up call on the store), then one conversion, timed. Peak memory is
# VmHWM from /proc: ru_maxrss of a forked child starts at its parent's peak, here the moto server's.
_HANDLER_RUN = r"""
import json, resource, sys, time
from chalicelib.pipeline import Converter
converter = Converter.from_settings()
converter.store.get("warm-up"); converter.storage.head("warm-up")
start_wall, start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
outcome = converter.convert_object(sys.argv[1])
end_wall, end = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"outcome": outcome, "wall": end_wall - start_wall,
                  "cpu": (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
                         + children.ru_utime + children.ru_stime,
                  "peak_rss_mib": hwm_kib / 1024}))
"""


# The naive design, for comparison: pydub decodes the whole file into memory, then exports it.
_NAIVE_RUN = r"""
import json, resource, sys, time
from pydub import AudioSegment
from chalicelib.audio.ffmpeg import ffmpeg_binary
AudioSegment.converter = ffmpeg_binary()
start_wall, start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
AudioSegment.from_file(sys.argv[1], format="wav").export(sys.argv[2], format="mp3", bitrate=sys.argv[3] + "k")
end_wall, end = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"wall": end_wall - start_wall,
                  "cpu": (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
                         + children.ru_utime + children.ru_stime,
                  "peak_rss_mib": hwm_kib / 1024}))
"""


def generate_wav(path: Path, seconds: int) -> None:
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}", "-ac", "2",
                    "-c:a", "pcm_s16le", str(path)], check=True)


def run_ffmpeg(path: Path, out: Path, bitrate: int) -> dict:
    start = time.perf_counter()
    before = os.times()
    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-i", str(path),
                    "-codec:a", "libmp3lame", "-b:a", f"{bitrate}k", str(out)], check=True)
    after = os.times()
    return {"wall": time.perf_counter() - start,
            "cpu": (after.children_user - before.children_user) + (after.children_system - before.children_system)}


def run_naive(path: Path, out: Path, bitrate: int) -> dict:
    result = subprocess.run([sys.executable, "-c", _NAIVE_RUN, str(path), str(out), str(bitrate)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_handler(key: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", _HANDLER_RUN, key], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(durations: list[int], repeat: int) -> list[dict]:
    """One row per duration: medians of `repeat` interleaved runs of the handler and of raw ffmpeg, and one run of
    the naive pydub design."""
    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.recordings import RecordingStore, new_recording
    from devstack.__main__ import free_port, local_environment, start_moto
    from devstack.resources import LocalTemplate, create_all

    port = free_port()
    server = start_moto(port)
    os.environ.update(local_environment(f"http://127.0.0.1:{port}", "us-east-1"))
    aws.reset()
    os.environ.update(create_all(LocalTemplate(), aws.client))
    env = {**os.environ}
    bitrate = settings().mp3_bitrate_kbps
    store = RecordingStore.from_settings()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for seconds in durations:
                wav = Path(scratch) / f"{seconds}s.wav"
                generate_wav(wav, seconds)
                item = new_recording(1, wav.name, status="processing")
                store.create(item)
                key = f"originals/{item['id']}"
                aws.s3().upload_file(str(wav), settings().bucket, key)
                handler, raw = [], []
                for _ in range(repeat):
                    raw.append(run_ffmpeg(wav, Path(scratch) / "out.mp3", bitrate))
                    store.update(item["id"], {"status": "processing", "source_etag": None})
                    handler.append(run_handler(key, env))
                    assert handler[-1]["outcome"] == "ready", handler[-1]
                naive = run_naive(wav, Path(scratch) / "naive.mp3", bitrate)
                rows.append({
                    "seconds": seconds, "wav_mib": wav.stat().st_size / 2**20,
                    "handler_wall": statistics.median(run["wall"] for run in handler),
                    "ffmpeg_wall": statistics.median(run["wall"] for run in raw),
                    "handler_cpu": statistics.median(run["cpu"] for run in handler),
                    "ffmpeg_cpu": statistics.median(run["cpu"] for run in raw),
                    "handler_rss": max(run["peak_rss_mib"] for run in handler),
                    "naive_wall": naive["wall"], "naive_rss": naive["peak_rss_mib"],
                })
                wav.unlink()
    finally:
        server.stop()
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| audio | WAV MiB | handler s | ffmpeg s | ratio | handler CPU s | ffmpeg CPU s | audio s per s "
             "| handler peak RSS MiB | pydub s | pydub peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['seconds']} s | {row['wav_mib']:.1f} | {row['handler_wall']:.2f} | {row['ffmpeg_wall']:.2f} "
            f"| {row['handler_wall'] / row['ffmpeg_wall']:.2f} | {row['handler_cpu']:.2f} | {row['ffmpeg_cpu']:.2f} "
            f"| {row['seconds'] / row['handler_wall']:.0f} | {row['handler_rss']:.0f} | {row['naive_wall']:.2f} "
            f"| {row['naive_rss']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", default="10,60,600,3600")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(table(measure([int(value) for value in args.durations.split(",")], args.repeat)))


if __name__ == "__main__":
    main()
