"""Conversion benchmark: the convert handler end to end (S3 original -> ffmpeg -> MP3 in S3 -> metadata, on the
embedded moto server) against the raw ffmpeg CLI on the same file, interleaved, medians.

    .venv/bin/python -m bench.conversion [--durations 10,60,600,3600] [--repeat 3]

Prints wall and CPU seconds, the handler/ffmpeg ratio, audio seconds per wall second and the handler process's
peak RSS. Each handler run is a fresh Python process, so its peak RSS is its own.
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


def run_handler(key: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", _HANDLER_RUN, key], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", default="10,60,600,3600")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.recordings import RecordingStore, new_recording
    from devstack.__main__ import free_port, local_environment, start_moto
    from devstack.resources import LocalTemplate, create_all

    port = free_port()
    server = start_moto(port)
    os.environ.update(local_environment(f"http://127.0.0.1:{port}", "us-east-1"))
    os.environ.update(create_all(LocalTemplate(), aws.client))
    env = {**os.environ}
    bitrate = settings().mp3_bitrate_kbps
    store = RecordingStore.from_settings()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for seconds in [int(value) for value in args.durations.split(",")]:
            wav = Path(scratch) / f"{seconds}s.wav"
            generate_wav(wav, seconds)
            item = new_recording(1, wav.name, status="processing")
            store.create(item)
            key = f"originals/{item['id']}"
            aws.s3().upload_file(str(wav), settings().bucket, key)
            handler, raw = [], []
            for _ in range(args.repeat):
                raw.append(run_ffmpeg(wav, Path(scratch) / "out.mp3", bitrate))
                store.update(item["id"], {"status": "processing", "source_etag": None})
                handler.append(run_handler(key, env))
                assert handler[-1]["outcome"] == "ready", handler[-1]
            h_wall = statistics.median(run["wall"] for run in handler)
            f_wall = statistics.median(run["wall"] for run in raw)
            rows.append((seconds, wav.stat().st_size / 2**20, h_wall, f_wall,
                         statistics.median(run["cpu"] for run in handler), statistics.median(run["cpu"] for run in raw),
                         max(run["peak_rss_mib"] for run in handler)))
            wav.unlink()
    server.stop()
    print(f"{'audio':>7} {'WAV MiB':>8} {'handler s':>10} {'ffmpeg s':>9} {'ratio':>6} {'handler CPU':>12} "
          f"{'ffmpeg CPU':>11} {'audio s/s':>10} {'peak RSS MiB':>13}")
    for seconds, size, h_wall, f_wall, h_cpu, f_cpu, rss in rows:
        print(f"{seconds:>6}s {size:>8.1f} {h_wall:>10.2f} {f_wall:>9.2f} {h_wall / f_wall:>6.2f} {h_cpu:>12.2f} "
              f"{f_cpu:>11.2f} {seconds / h_wall:>10.1f} {rss:>13.1f}")


if __name__ == "__main__":
    main()
