"""How long the local stack takes to start on a big library, and how much memory the restore needs.

`python -m bench.restore` writes a data directory holding 1,000 recordings (ready, each with its original, MP3 and
peaks: 2 GiB of audio in all) exactly as a running stack mirrors one, starts `python -m devstack` on it as
`make run` does, and reports: the time from launch to "ready", the restore's own time, and the devstack process's
peak resident memory (VmHWM: moto lives in that process, so this includes what moto holds). Then it checks that a
restored recording answers and its MP3 link downloads the right bytes, and stops the stack. For comparison, the same
start on an empty data directory.

Options: --recordings N, --gib G, --keep (leave the data directory; its path is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUCKET = "cloudsound-audio-123456789012"
USERS_TABLE = "cloudsound-users"
RECORDINGS_TABLE = "cloudsound-recordings"
MP3_SHARE = 128 / 1411  # a 128 kbit/s MP3 of 44.1 kHz 16-bit stereo


def write_library(data_dir: Path, recordings: int, total_bytes: int) -> list[dict]:
    """The data directory of a stack that holds `recordings` converted recordings of `total_bytes` of audio.
    Returns a few of them (id, MP3 key and bytes' MD5) to check after the restore."""
    from boto3.dynamodb.types import TypeSerializer

    from chalicelib.recording import Recording
    from chalicelib.recording_items import to_item
    from devstack.datadir import DataDirectory

    serializer = TypeSerializer()
    data = DataDirectory.open(data_dir)
    store = data.objects(BUCKET)
    per_recording = total_bytes // recordings
    mp3_bytes = int(per_recording * MP3_SHARE)
    original_bytes = per_recording - mp3_bytes
    noise = random.Random(15).randbytes(original_bytes)  # shared bulk; a unique head makes every ETag unique
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    items, samples = [], []
    for number in range(recordings):
        recording_id = str(uuid.UUID(int=random.Random(number).getrandbits(128), version=4))
        head = f"RIFF{number:012d}".encode()
        original = head + noise[len(head) : original_bytes]
        mp3 = head + noise[len(head) : mp3_bytes]
        etag = hashlib.md5(original).hexdigest()

        def blob(content: bytes):
            def write(file) -> tuple[int, None]:
                file.write(content)
                return len(content), None

            return write

        store.put(f"originals/{recording_id}", etag, "audio/wav", {}, blob(original))
        store.put(f"mp3/{recording_id}/{etag}.mp3", hashlib.md5(mp3).hexdigest(), "audio/mpeg", {}, blob(mp3))
        peaks = json.dumps({"peaks": [0.5] * 1000, "duration": 10.0}).encode()
        store.put(
            f"peaks/{recording_id}/{etag}.json", hashlib.md5(peaks).hexdigest(), "application/json", {}, blob(peaks)
        )
        created = (now - dt.timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        seconds = original_bytes / 176_400
        recording = Recording(
            id=recording_id,
            owner=1,
            name=f"take {number}.wav",
            status="ready",
            created_at=created,
            updated_at=created,
            owner_name="bench",
            duration=seconds,
            source_etag=etag,
            original={
                "content_type": "audio/wav",
                "size": original_bytes,
                "format": "wav",
                "codec": "pcm_s16le",
                "sample_rate": 44100,
                "channels": 2,
                "bits_per_sample": 16,
                "duration": seconds,
            },
            mp3={"size": mp3_bytes, "bitrate": 128000, "duration": seconds},
        )
        items.append({name: serializer.serialize(value) for name, value in to_item(recording).items()})
        if number % 250 == 0:
            samples.append({"id": recording_id, "mp3_md5": hashlib.md5(mp3).hexdigest()})
    data.write_table(RECORDINGS_TABLE, items)
    data.write_table(
        USERS_TABLE,
        [
            {
                "pk": {"S": "user#1"},
                "id": {"N": "1"},
                "name": {"S": "bench"},
                "created_at": {"S": "2026-11-25T00:00:00Z"},
                "token_hash": {"S": "0" * 64},
            },
            {"pk": {"S": "counter#user_id"}, "value": {"N": "1"}},
        ],
    )
    data.close()
    return samples


def free_port() -> int:
    from devstack.__main__ import free_port as pick

    return pick()


def start_and_measure(data_dir: Path, log_path: Path) -> dict:
    """Launch the stack as `make run` does; the seconds to "ready", the restore's line, and the peak memory."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(free_port()),
        "WORKERS": "1",
        "CLOUDSOUND_DATA_DIR": str(data_dir),
    }
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ready_after = None
    while time.monotonic() - started < 300:
        if process.poll() is not None:
            raise RuntimeError(f"the stack exited:\n{log_path.read_text()}")
        if "is ready on" in log_path.read_text(errors="replace"):
            ready_after = time.monotonic() - started
            break
        time.sleep(0.05)
    status = Path(f"/proc/{process.pid}/status").read_text()
    peak_kib = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    restored = re.search(
        r"restored from .* in ([\d.]+) s: (\d+) items, (\d+) objects \(([\d.]+) MiB\)", log_path.read_text()
    )
    return {
        "process": process,
        "url": f"http://127.0.0.1:{port}",
        "ready_seconds": ready_after,
        "peak_mib": peak_kib / 1024,
        "restore": restored.groups() if restored else None,
    }


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def check_restored(url: str, samples: list[dict], recordings: int) -> None:
    for sample in samples:
        with urllib.request.urlopen(f"{url}/recordings/{sample['id']}", timeout=30) as response:
            assert json.load(response)["status"] == "ready"
        request = urllib.request.Request(
            f"{url}/recordings/{sample['id']}/audio", headers={"Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            link = json.load(response)["url"]
        with urllib.request.urlopen(link, timeout=60) as response:
            assert hashlib.md5(response.read()).hexdigest() == sample["mp3_md5"]
    with urllib.request.urlopen(f"{url}/recordings?owner=1&limit=200", timeout=30) as response:
        assert len(json.load(response)["items"]) == min(200, recordings)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.restore", description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="cloudsound-restore-"))
    try:
        started = time.monotonic()
        samples = write_library(scratch / "data", options.recordings, int(options.gib * 1024**3))
        written = time.monotonic() - started
        empty = start_and_measure(scratch / "empty", scratch / "empty.log")
        stop(empty["process"])
        full = start_and_measure(scratch / "data", scratch / "full.log")
        try:
            check_restored(full["url"], samples, options.recordings)
        finally:
            stop(full["process"])
        seconds, items, objects, mib = full["restore"]
        print(f"## Restoring the local stack ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs)\n")
        print(
            f"Library: {options.recordings} ready recordings, {objects} objects, {float(mib) / 1024:.2f} GiB, "
            f"{items} items (written in {written:.1f} s)\n"
        )
        print("| start | launch → ready | restore itself | devstack peak memory (VmHWM) |")
        print("|---|---|---|---|")
        print(f"| empty data directory | {empty['ready_seconds']:.1f} s | — | {empty['peak_mib']:.0f} MiB |")
        print(
            f"| {options.recordings} recordings, {options.gib:g} GiB | {full['ready_seconds']:.1f} s | "
            f"{float(seconds):.1f} s | {full['peak_mib']:.0f} MiB |"
        )
        print(
            "\nChecked after the restore: sampled recordings ready, their MP3 links download the same bytes, "
            "the owner's list is full."
        )
    finally:
        if options.keep:
            print(f"\nkept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
