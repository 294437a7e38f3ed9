"""Conversion benchmark: the convert handler end to end (S3 original -> ffmpeg -> MP3 in S3 -> metadata, on the
embedded moto server) against the raw ffmpeg CLI on the same file, interleaved, medians; and the naive design
(pydub's AudioSegment on the whole file) once per size.

    .venv/bin/python -m bench.conversion [--durations 10,60,600,3600] [--repeat 5]

Prints wall and CPU seconds (and the handler's wait for its S3 and DynamoDB calls), the handler/ffmpeg ratio, audio
seconds per wall second and peak RSS. Each run is a fresh Python process, so its peak RSS (VmHWM) is its own.
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
LONG = 1800  # seconds of audio from which a size is run at most 3 times, to keep `make bench` within minutes

# A warm Lambda: one conversion already done (a 1 s file: clients made, code and ffmpeg loaded), then one
# conversion of the object S3's event names (key, ETag, size), timed. Peak memory is VmHWM from /proc: ru_maxrss of
# a forked child starts at its parent's peak, here the moto server's.
_HANDLER_RUN = r"""
import json, resource, sys, time
from chalicelib import aws
from chalicelib.config import settings
from chalicelib import wiring
converter = wiring.converter()
import threading
started, waits = {}, []  # the seconds of every S3 and DynamoDB call (per thread: two may be in flight)
def call_starts(**_): started[threading.get_ident()] = time.perf_counter()
def call_ends(**_): waits.append(time.perf_counter() - started.pop(threading.get_ident()))
for client in (aws.s3(), aws.table(settings().recordings_table).meta.client):
    client.meta.events.register("before-call", call_starts)
    client.meta.events.register("after-call", call_ends)
warm_up = json.loads(sys.argv[2])
assert converter.convert_object(warm_up["key"], etag=warm_up["etag"], size=warm_up["size"]) == "ready"
measured = json.loads(sys.argv[1])
waits.clear()
children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
start_wall, start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
outcome = converter.convert_object(measured["key"], etag=measured["etag"], size=measured["size"])
end_wall, end = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"outcome": outcome, "wall": end_wall - start_wall, "aws_wait": sum(waits),
                  "cpu": (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
                         + (children.ru_utime - children_before.ru_utime)
                         + (children.ru_stime - children_before.ru_stime),
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


def upload_original(store, path: Path) -> dict:
    """A recording whose original is in S3, as its upload leaves it; returns what S3's event would say of it."""
    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.recording import new_recording

    recording = new_recording(1, path.name, status="processing")
    store.create(recording)
    key = f"originals/{recording.id}"
    aws.s3().upload_file(str(path), settings().bucket, key)
    head = aws.s3().head_object(Bucket=settings().bucket, Key=key)
    return {"id": recording.id, "key": key, "etag": head["ETag"].strip('"'), "size": head["ContentLength"]}


def run_handler(measured: dict, warm_up: dict, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", _HANDLER_RUN, json.dumps(measured), json.dumps(warm_up)],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(durations: list[int], repeat: int) -> list[dict]:
    """One row per duration: medians of `repeat` interleaved runs of the handler and of raw ffmpeg (the ratio is the
    median of each pair's), and one run of the naive pydub design."""
    from chalicelib.config import settings
    from chalicelib import wiring
    from devstack.__main__ import free_port, provision, start_moto

    port = free_port()
    server = start_moto(port)
    os.environ.update(provision(f"http://127.0.0.1:{port}", "us-east-1"))
    env = {**os.environ}
    bitrate = settings().mp3_bitrate_kbps
    store = wiring.recording_store()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            generate_wav(Path(scratch) / "warm-up.wav", 1)
            warm_up = upload_original(store, Path(scratch) / "warm-up.wav")
            for seconds in durations:
                wav = Path(scratch) / f"{seconds}s.wav"
                generate_wav(wav, seconds)
                measured = upload_original(store, wav)
                handler, raw = [], []
                for _ in range(repeat if seconds < LONG else min(repeat, 3)):
                    raw.append(run_ffmpeg(wav, Path(scratch) / "out.mp3", bitrate))
                    for again in (warm_up, measured):  # so that neither is skipped as a duplicate delivery
                        store.modify(again["id"], lambda _: {"status": "processing", "source_etag": None})
                    handler.append(run_handler(measured, warm_up, env))
                    assert handler[-1]["outcome"] == "ready", handler[-1]
                naive = run_naive(wav, Path(scratch) / "naive.mp3", bitrate)
                rows.append({
                    "seconds": seconds, "wav_mib": wav.stat().st_size / 2**20,
                    "handler_wall": statistics.median(run["wall"] for run in handler),
                    "handler_aws": statistics.median(run["aws_wait"] for run in handler),
                    # each handler run against the ffmpeg run just before it: a slow minute of a shared machine
                    # slows both, and cancels out
                    "ratio": statistics.median(ours["wall"] / theirs["wall"] for ours, theirs in zip(handler, raw)),
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
    lines = ["| audio | WAV MiB | handler s | of which S3 + DynamoDB calls s | ffmpeg s | ratio | handler CPU s "
             "| ffmpeg CPU s | audio s per s | handler peak RSS MiB | pydub s | pydub peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['seconds']} s | {row['wav_mib']:.1f} | {row['handler_wall']:.2f} | {row['handler_aws']:.3f} "
            f"| {row['ffmpeg_wall']:.2f} "
            f"| {row['ratio']:.2f} | {row['handler_cpu']:.2f} | {row['ffmpeg_cpu']:.2f} "
            f"| {row['seconds'] / row['handler_wall']:.0f} | {row['handler_rss']:.0f} | {row['naive_wall']:.2f} "
            f"| {row['naive_rss']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", default="10,60,600,3600")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(table(measure([int(value) for value in args.durations.split(",")], args.repeat)))


if __name__ == "__main__":
    main()
