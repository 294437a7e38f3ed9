"""Conversion benchmark: the convert handler end to end (S3 original -> ffmpeg -> MP3 in S3 -> metadata, on the
embedded moto server) against the raw ffmpeg CLI on the same file, interleaved, medians; and the naive design
(pydub's AudioSegment on the whole file) once per size. Where the handler encodes in parallel segments (a recording
of CLOUDSOUND_PARALLEL_FROM_SECONDS or more, on a machine of 2 CPUs or more) the same runs also time it encoding one
segment per CPU (CLOUDSOUND_CONVERT_SEGMENTS; by default it leaves one CPU to the measuring graph, config.encoders),
and those segments' raw ffmpeg processes alone, started at once: the ceiling; and the raw serial ffmpeg again while
a busy loop keeps another core busy, as the handler's measuring graph does: what sharing the cores alone costs.

    .venv/bin/python -m bench.conversion [--durations 10,60,600,3600] [--repeat 5]

Prints wall and CPU seconds (and the handler's wait for its S3 and DynamoDB calls), the handler/ffmpeg ratio, audio
seconds per wall second and peak RSS; then the parallel segments against one encoder, and what each costs on Lambda
(bench/aws_costs.py: the converter's memory from .chalice/config.json). Each run is a fresh Python process, so its peak
RSS (VmHWM) is its own; its ffmpeg children's largest peak RSS is reported beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator

from bench.aws_costs import CONVERTER_MEMORY_MB, FULL_VCPU_MB, LAMBDA_GB_SECOND, LAMBDA_REQUEST, lambda_seconds
from chalicelib import config
from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.segments import helper_command, plan
from chalicelib.audio.source_layout import read_layout

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LONG = 1800  # seconds of audio from which a size is run at most 3 times, to keep `make bench` within minutes

# A warm Lambda: one conversion already done (a 1 s file: clients made, code and ffmpeg loaded), then one
# conversion of the object S3's event names (key, ETag, size), timed. Peak memory is VmHWM from /proc: ru_maxrss of
# a forked child starts at its parent's peak, here the moto server's.
_HANDLER_RUN = r"""
import json, logging, resource, sys, time
from chalicelib import aws
from chalicelib.config import settings
from chalicelib import wiring
converter = wiring.converter()
import threading
class Conversions(logging.Handler):  # the conversion's log line says how many encoders wrote it
    def emit(self, record):
        line = json.loads(record.getMessage()) if record.getMessage().startswith("{") else {}
        if line.get("event") == "conversion": logged.append(line)
logged = []
logging.getLogger("cloudsound").addHandler(Conversions())
logging.getLogger("cloudsound").setLevel(logging.INFO)
import os
import subprocess
child_pids, children_peak = [], [0]  # the ffmpeg children's pids; KiB: the largest sum of their RSS, sampled every
class Tracked(subprocess.Popen):  # 20 ms (their ru_maxrss counts this process's pages they had before exec). Only
    def __init__(self, *args, **kwargs):  # the pids this process started are read: scanning all of /proc every
        super().__init__(*args, **kwargs)  # 20 ms cost the run it measured up to a tenth of its wall time
        child_pids.append(self.pid)
subprocess.Popen = Tracked
def sample_children():
    while True:
        total = 0
        for pid in list(child_pids):
            try:
                with open(f"/proc/{pid}/status") as status:
                    total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
            except (OSError, StopIteration, ValueError):  # ended (a zombie has no VmRSS): not sampled again
                child_pids.remove(pid)
        children_peak[0] = max(children_peak[0], total)
        time.sleep(0.02)
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
threading.Thread(target=sample_children, daemon=True).start()
children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
start_wall, start = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
outcome = converter.convert_object(measured["key"], etag=measured["etag"], size=measured["size"])
end_wall, end = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"outcome": outcome, "wall": end_wall - start_wall, "aws_wait": sum(waits),
                  "segments": logged[-1].get("segments", 1) if logged else None,
                  "children_rss_mib": children_peak[0] / 1024,
                  "cpu": (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
                         + (children.ru_utime - children_before.ru_utime)
                         + (children.ru_stime - children_before.ru_stime),
                  "peak_rss_mib": hwm_kib / 1024}))
"""


# The naive design, for comparison: pydub decodes the whole file into memory, then exports it.
_NAIVE_RUN = r"""
import json, resource, sys, time
from pydub import AudioSegment
from chalicelib import config
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
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )


def run_ffmpeg(path: Path, out: Path, bitrate: int) -> dict:
    return _timed(
        [
            [
                ffmpeg_binary(),
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(path),
                "-codec:a",
                "libmp3lame",
                "-b:a",
                f"{bitrate}k",
                str(out),
            ]
        ]
    )


def run_ffmpeg_beside_busy_core(path: Path, out: Path, bitrate: int) -> dict:
    """The raw ffmpeg again, while a busy loop keeps one other core busy, as the measuring graph does in the
    handler: what sharing the machine costs the encoder, whatever the other core does."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # running before the encode starts
        return run_ffmpeg(path, out, bitrate)
    finally:
        busy.kill()
        busy.wait()


def run_raw_segments(path: Path, scratch: Path, bitrate: int, count: int) -> dict:
    """The ceiling of parallel segments: the segments' own ffmpeg processes (audio/segments.py, pre- and post-roll
    and the reservoir off included) on the local file, started at once; nothing joined, nothing measured."""
    layout = read_layout(str(path), None)
    assert layout is not None
    pieces = plan(layout.samples, layout.sample_rate, count)
    return _timed(
        [
            helper_command(str(path), layout, piece, bitrate, str(scratch / f"segment-{k}.mp3"), [])
            for k, piece in enumerate(pieces)
        ]
    ) | {"segments": len(pieces)}


def _timed(commands: list[list[str]]) -> dict:
    start = time.perf_counter()
    before = os.times()
    for process in [subprocess.Popen(command) for command in commands]:
        assert process.wait() == 0
    after = os.times()
    return {
        "wall": time.perf_counter() - start,
        "cpu": (after.children_user - before.children_user) + (after.children_system - before.children_system),
    }


def run_naive(path: Path, out: Path, bitrate: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _NAIVE_RUN, str(path), str(out), str(bitrate)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
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


@dataclass
class Stack:
    store: object
    env: dict
    scratch: Path
    warm_up: dict  # a 1 s original each handler run converts first, as a warm Lambda has


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """The embedded moto server, provisioned, for the handler runs."""
    from chalicelib import wiring
    from devstack.__main__ import free_port, provision, start_moto

    port = free_port()
    server = start_moto(port)
    try:
        os.environ.update(provision(f"http://127.0.0.1:{port}", "us-east-1"))
        store = wiring.recording_store()
        with tempfile.TemporaryDirectory() as scratch:
            generate_wav(Path(scratch) / "warm-up.wav", 1)
            yield Stack(store, {**os.environ}, Path(scratch), upload_original(store, Path(scratch) / "warm-up.wav"))
    finally:
        server.stop()


def run_handler(stack: Stack, measured: dict, **env: str) -> dict:
    for again in (stack.warm_up, measured):  # so that neither is skipped as a duplicate delivery
        stack.store.modify(again["id"], lambda _: {"status": "processing", "source_etag": None})
    before = os.times()
    result = subprocess.run(
        [sys.executable, "-c", _HANDLER_RUN, json.dumps(measured), json.dumps(stack.warm_up)],
        cwd=PROJECT_ROOT,
        env={**stack.env, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    after = os.times()
    run = json.loads(result.stdout.strip().splitlines()[-1])
    assert run["outcome"] == "ready", run
    # This process's own CPU meanwhile: the moto server serving the original and taking the MP3, on the same cores
    # (the warm-up's 1 s file included). S3 costs the Lambda nothing of the kind.
    run["moto_cpu"] = (after.user - before.user) + (after.system - before.system)
    return run


def measure(durations: list[int], repeat: int) -> list[dict]:
    """One row per duration: medians of `repeat` interleaved runs of the handler and of raw ffmpeg (the ratio is the
    median of each pair's), and one run of the naive pydub design. Where the handler encodes in segments, each
    repeat also runs it with one encoder and the segments' raw ffmpeg processes alone."""
    from chalicelib.config import settings, vcpus

    bitrate = settings().mp3_bitrate_kbps
    count = vcpus()
    rows = []
    with local_stack() as stack:
        for seconds in durations:
            wav = stack.scratch / f"{seconds}s.wav"
            generate_wav(wav, seconds)
            measured = upload_original(stack.store, wav)
            parallel = count > 1 and seconds >= settings().parallel_from_seconds
            runs: dict[str, list[dict]] = {"handler": [], "raw": [], "segments": [], "ceiling": [], "busy": []}
            for _ in range(repeat if seconds < LONG else min(repeat, 3)):
                runs["raw"].append(run_ffmpeg(wav, stack.scratch / "out.mp3", bitrate))
                runs["handler"].append(run_handler(stack, measured))
                if parallel:
                    runs["segments"].append(run_handler(stack, measured, CLOUDSOUND_CONVERT_SEGMENTS=str(count)))
                    runs["ceiling"].append(run_raw_segments(wav, stack.scratch, bitrate, count))
                    runs["busy"].append(run_ffmpeg_beside_busy_core(wav, stack.scratch / "out.mp3", bitrate))
            naive = run_naive(wav, stack.scratch / "naive.mp3", bitrate)
            row = {
                "seconds": seconds,
                "wav_mib": wav.stat().st_size / 2**20,
                "encoders": max(run["segments"] or 1 for run in runs["handler"]),
                "segments": max((run["segments"] or 1 for run in runs["segments"]), default=1),
                "naive_wall": naive["wall"],
                "naive_rss": naive["peak_rss_mib"],
            }
            for name in ("handler", "segments", "ceiling", "busy"):
                if runs[name]:
                    row.update(_medians(name, runs[name], runs["raw"]))
            row.update(
                ffmpeg_wall=statistics.median(run["wall"] for run in runs["raw"]),
                ffmpeg_cpu=statistics.median(run["cpu"] for run in runs["raw"]),
                handler_aws=statistics.median(run["aws_wait"] for run in runs["handler"]),
                moto_cpu=statistics.median(run["moto_cpu"] for run in runs["handler"]),
            )
            rows.append(row)
            wav.unlink()
    return rows


def _medians(name: str, runs: list[dict], raw: list[dict]) -> dict:
    """Medians of `runs`; the ratio is each run's against the raw ffmpeg run just before it: a slow minute of a
    shared machine slows both, and cancels out."""
    row = {
        f"{name}_wall": statistics.median(run["wall"] for run in runs),
        f"{name}_cpu": statistics.median(run["cpu"] for run in runs),
        f"{name}_ratio": statistics.median(
            ours["wall"] / theirs["wall"] for ours, theirs in zip(runs, raw, strict=True)
        ),
    }
    if "peak_rss_mib" in runs[0]:
        row[f"{name}_rss"] = max(run["peak_rss_mib"] for run in runs)
        row[f"{name}_children_rss"] = max(run["children_rss_mib"] for run in runs)
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| audio | WAV MiB | handler s | of which S3 + DynamoDB calls s | ffmpeg s | ratio | handler CPU s "
        "| ffmpeg CPU s | moto server's CPU s meanwhile | audio s per s | handler peak RSS MiB | pydub s "
        "| pydub peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['seconds']} s | {row['wav_mib']:.1f} | {row['handler_wall']:.2f} | {row['handler_aws']:.3f} "
            f"| {row['ffmpeg_wall']:.2f} "
            f"| {row['handler_ratio']:.2f} | {row['handler_cpu']:.2f} | {row['ffmpeg_cpu']:.2f} "
            f"| {row['moto_cpu']:.2f} "
            f"| {row['seconds'] / row['handler_wall']:.0f} | {row['handler_rss']:.0f} | {row['naive_wall']:.2f} "
            f"| {row['naive_rss']:.0f} |"
        )
    return "\n".join(lines)


def parallel_table(rows: list[dict]) -> str:
    """The rows also run in segments: the raw ffmpeg beside a busy core, the segments' raw ceiling, the handler as
    configured and in segments, all as ratios to the serial raw ffmpeg run just before; then the Lambda figures for
    an hour of audio."""
    parallel = [row for row in rows if "segments_wall" in row]
    if not parallel:
        return "No row was encoded in segments (one CPU, or every duration under CLOUDSOUND_PARALLEL_FROM_SECONDS)."
    lines = [
        "| audio | raw ffmpeg, serial | raw ffmpeg, serial, beside a busy core "
        "| segments' raw ffmpeg at once (the "
        "ceiling) | handler, encoders as configured | handler, segments | handler CPU s | Python peak RSS MiB "
        "| ffmpeg processes' peak RSS MiB (summed) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in parallel:
        lines.append(
            f"| {row['seconds'] / 60:g} min | {row['ffmpeg_wall']:.2f} s "
            f"| {row['busy_wall']:.2f} s = {row['busy_ratio']:.2f}× "
            f"| {row['segments']} × ffmpeg: {row['ceiling_wall']:.2f} s = {row['ceiling_ratio']:.2f}× "
            f"| {row['encoders']}: {row['handler_wall']:.2f} s = {row['handler_ratio']:.2f}× "
            f"| {row['segments']}: {row['segments_wall']:.2f} s = {row['segments_ratio']:.2f}× "
            f"| {row['handler_cpu']:.1f} / {row['segments_cpu']:.1f} "
            f"| {row['handler_rss']:.0f} / {row['segments_rss']:.0f} "
            f"| {row['handler_children_rss']:.0f} / {row['segments_children_rss']:.0f} |"
        )
    return "\n".join(lines) + "\n\n" + lambda_table(rows)


def lambda_table(rows: list[dict]) -> str:
    """An hour of audio on the converter at 1,024 MB (a share of one vCPU) and at what buys 1 and 2 vCPUs, from the
    longest row's runs: one encoder's CPU seconds spread over what the memory buys, never faster than these 2
    cores did it (bench/aws_costs.py: lambda_seconds); and the same for the shortest row (short uploads, one pass)."""
    hour = max((row for row in rows if "segments_wall" in row), key=lambda row: row["seconds"])
    short = min(rows, key=lambda row: row["seconds"])
    per_hour, per_hour_short = 3600 / hour["seconds"], 3600 / short["seconds"]
    if hour["encoders"] != 1:  # more than 2 cores here: no run stands for one encoder
        return (
            "(The Lambda rows need the handler in one pass: run again with CLOUDSOUND_CONVERT_SEGMENTS=1 in the "
            "environment.)"
        )
    one = "handler"
    settings = [
        (1024, 1, one),
        (FULL_VCPU_MB, 1, one),
        (2 * FULL_VCPU_MB, 1, one),
        (2 * FULL_VCPU_MB, hour["segments"], "segments"),
    ]
    lines = [
        f"| converter memory | vCPUs | encoders | an hour of audio ready in | GB-s per audio hour "
        f"| $ per 1,000 audio hours in hour-long files | $ per 1,000 audio hours in {short['seconds']} s files |",
        "|---|---|---|---|---|---|---|",
    ]
    figures = []  # (seconds, dollars) per setting, for an hour of audio in one file
    for memory, encoders, run in settings:
        seconds = lambda_seconds(hour[f"{run}_cpu"], hour[f"{run}_wall"], memory) * per_hour
        short_seconds = lambda_seconds(short["handler_cpu"], short["handler_wall"], memory)
        gb_seconds, short_gb_seconds = seconds * memory / 1024, short_seconds * per_hour_short * memory / 1024
        configured = memory == CONVERTER_MEMORY_MB and encoders == config.encoders(round(memory / FULL_VCPU_MB))
        current = " (configured)" if configured else ""
        lines.append(
            f"| {memory:,} MB{current} | {memory / FULL_VCPU_MB:.2f} | {encoders} | {seconds:.0f} s "
            f"| {gb_seconds:.0f} | {1000 * (gb_seconds * LAMBDA_GB_SECOND + LAMBDA_REQUEST):.2f} "
            f"| {1000 * (short_gb_seconds * LAMBDA_GB_SECOND + per_hour_short * LAMBDA_REQUEST):.2f} |"
        )
        figures.append((seconds, gb_seconds * LAMBDA_GB_SECOND + LAMBDA_REQUEST))
    (base_seconds, base_dollars), (two_seconds, two_dollars) = figures[0], figures[2]
    recommended = 2 * FULL_VCPU_MB
    lines += [
        "",
        f"Recommended: {recommended:,} MB, the smallest setting with 2 vCPUs (one encodes, one measures): "
        f"an hour of audio ready {base_seconds / two_seconds:.1f}× sooner than at 1,024 MB for "
        f"{two_dollars / base_dollars:.2f}× the Lambda dollars. Configured: {CONVERTER_MEMORY_MB:,} MB.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", default="10,60,600,3600")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the embedded moto server's access log
    rows = measure([int(value) for value in args.durations.split(",")], args.repeat)
    print(table(rows))
    print()
    print(parallel_table(rows))


if __name__ == "__main__":
    main()
