"""Uploads over loopback against the local stack: one PUT against parts with 1 and 4 in flight, the work lost when the
CLI is killed half-way and resumed, and the stack's peak memory for a 1 GiB upload in parts.

`python -m bench.uploads` (also part of `make bench`). The file is random bytes: only the transfer is measured (the
converter refuses it as not audio at once, and deletes it). Options: --mib (the transfer file, default 256),
--memory-mib (the memory run, default 1024; 0 skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.restore import PROJECT_ROOT, start_and_measure, stop

MIB = 1024 * 1024


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        for _ in range(size // MIB):
            handle.write(os.urandom(MIB))
    return path


def peak_mib(pid: int) -> float:
    return int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024  # type: ignore[union-attr]


class Account:
    def __init__(self, url: str, config: Path) -> None:
        token = requests.post(f"{url}/users", json={"name": "bench"}, timeout=10).json()["token"]
        self.url, self.config, self.headers = url, config, {"Authorization": f"Bearer {token}"}
        config.write_text(json.dumps({"url": url, "token": token}))

    def announce(self, path: Path, multipart: bool) -> dict[str, Any]:
        body = {"name": path.name, "size": path.stat().st_size, "multipart": multipart}
        created = requests.post(f"{self.url}/recordings", json=body, headers=self.headers, timeout=30)
        created.raise_for_status()
        return dict(created.json())

    def delete(self, recording_id: str) -> None:
        requests.delete(f"{self.url}/recordings/{recording_id}", headers=self.headers, timeout=60)

    def held_bytes(self, recording_id: str) -> int:
        state = requests.get(f"{self.url}/recordings/{recording_id}/upload", headers=self.headers, timeout=30).json()
        return sum(part["size"] for part in state.get("parts", []) if part["etag"])

    def cli(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "CLOUDSOUND_CONFIG": str(self.config), "PYTHONPATH": str(PROJECT_ROOT)}
        return subprocess.Popen(
            [sys.executable, "-m", "cloudsound", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def one_put(account: Account, path: Path) -> float:
    created = account.announce(path, multipart=False)
    started = time.perf_counter()
    with path.open("rb") as handle:
        put = requests.put(created["upload"]["url"], data=handle, headers=created["upload"]["headers"], timeout=600)
    put.raise_for_status()
    seconds = time.perf_counter() - started
    account.delete(created["id"])
    return seconds


def in_parts(account: Account, path: Path, parallel: int) -> tuple[float, str]:
    """The CLI's upload in parts, announcing to completing: the whole command less a bare start-up of it."""
    started = time.perf_counter()
    run = account.cli("--json", "upload", str(path), "--parallel", str(parallel))
    out, err = run.communicate(timeout=1200)
    if not out:  # a conversion that failed (random bytes are not audio) still prints the recording
        raise RuntimeError(err)
    return time.perf_counter() - started - startup_seconds(account), json.loads(out)["id"]


def startup_seconds(account: Account, cache: dict[str, float] = {}) -> float:  # noqa: B006 - measured once
    if "s" not in cache:
        started = time.perf_counter()
        account.cli("--help").communicate(timeout=60)
        cache["s"] = time.perf_counter() - started
    return cache["s"]


def bytes_read(pid: int) -> int:
    return int(re.search(r"rchar:\s+(\d+)", Path(f"/proc/{pid}/io").read_text()).group(1))  # type: ignore[union-attr]


def startup_reads(account: Account) -> int:
    """What the CLI reads before it sends anything (its modules): a process that imports them and waits."""
    code = "import cloudsound.cli, sys; sys.stdout.write('x\\n'); sys.stdout.flush(); input()"
    probe = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert probe.stdout is not None and probe.stdin is not None
    probe.stdout.readline()
    reads = bytes_read(probe.pid)
    probe.communicate("\n", timeout=30)
    return reads


def cut_and_resume(account: Account, path: Path) -> dict[str, float]:
    """The CLI (4 in flight) stopped once half the file is in S3, then killed; what it had read of the file to send,
    what S3 held, and what the next run sent again."""
    size = path.stat().st_size
    uploads = account.config.parent / "uploads.json"
    uploads.unlink(missing_ok=True)
    first = account.cli("upload", str(path), "--parallel", "4")
    recording_id, held = None, 0
    while first.poll() is None and held < size // 2:
        if recording_id is None and uploads.exists():
            recording_id = next(iter(json.loads(uploads.read_text()).values()), None)
        if recording_id is not None:
            held = account.held_bytes(recording_id)
        time.sleep(0.01)
    if first.poll() is not None:
        raise RuntimeError("the upload finished before it could be cut: use a larger --mib")
    first.send_signal(signal.SIGSTOP)
    written = bytes_read(first.pid) - startup_reads(account)  # the file is read as it is sent, chunk by chunk
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert recording_id is not None
    held = account.held_bytes(recording_id)
    started = time.perf_counter()
    second = account.cli("--json", "upload", str(path), "--parallel", "4")
    out, err = second.communicate(timeout=1200)
    if not out or json.loads(out)["id"] != recording_id:
        raise RuntimeError(f"the upload was not resumed: {err}")
    seconds = time.perf_counter() - started
    account.delete(recording_id)
    return {"written": written, "held": held, "resent": size - held, "lost": max(written - held, 0), "seconds": seconds}


def measure(mib: int = 256, memory_mib: int = 1024) -> dict[str, Any]:
    results: dict[str, Any] = {"mib": mib, "memory_mib": memory_mib}
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as work:
        folder = Path(work)
        env = {"CLOUDSOUND_QUOTA_BYTES": str(64 * 1024**3)}
        os.environ.update(env)
        stack = start_and_measure(folder / "data", folder / "stack.log")
        try:
            account = Account(stack["url"], folder / "config.json")
            if memory_mib:
                large = random_file(folder / "large.bin", memory_mib * MIB)
                before = peak_mib(stack["process"].pid)
                seconds, recording_id = in_parts(account, large, 4)
                results["memory"] = {"before": before, "peak": peak_mib(stack["process"].pid), "seconds": seconds}
                account.delete(recording_id)
                large.unlink()
            path = random_file(folder / "transfer.bin", mib * MIB)
            results["one_put"] = one_put(account, path)
            for parallel in (1, 4):
                seconds, recording_id = in_parts(account, path, parallel)
                results[f"parts_{parallel}"] = seconds
                account.delete(recording_id)
            results["cut"] = cut_and_resume(account, path)
        finally:
            stop(stack["process"])
            for name in env:
                os.environ.pop(name, None)
    return results


def table(results: dict[str, Any]) -> str:
    size = results["mib"] * MIB

    def row(what: str, seconds: float) -> str:
        return f"| {what} | {seconds:.2f} | {size / seconds / 1e6:.0f} |"

    cut = results["cut"]
    lines = [
        f"A file of {results['mib']} MiB over loopback to the local stack (moto behind the strict S3 layer), parts of "
        "8 MiB, sent by the CLI (its start-up excluded):",
        "",
        "| upload | seconds | MB/s |",
        "|---|---|---|",
        row("one presigned PUT", results["one_put"]),
        row("in parts, 1 in flight", results["parts_1"]),
        row("in parts, 4 in flight", results["parts_4"]),
        "",
        f"Cut half-way (the CLI, 4 in flight, killed once half the file was in S3) and run again: S3 held "
        f"{cut['held'] / MIB:.0f} MiB; the killed run had read {cut['written'] / MIB:.0f} MiB of the file to send, so "
        f"{cut['lost'] / MIB:.1f} MiB were lost (at most the 4 parts in flight: 32 MiB); the next run sent the "
        f"{cut['resent'] / MIB:.0f} MiB S3 lacked, and nothing it held, in {cut['seconds']:.2f} s.",
    ]
    if "memory" in results:
        memory = results["memory"]
        lines += [
            "",
            f"The local stack's peak memory (the devstack process, moto inside it: VmHWM) for a "
            f"{results['memory_mib'] / 1024:.0f} GiB upload in parts: {memory['peak']:.0f} MiB (it was "
            f"{memory['before']:.0f} MiB before; the upload took {memory['seconds']:.1f} s).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--memory-mib", type=int, default=1024)
    args = parser.parse_args()
    print(table(measure(args.mib, args.memory_mib)))


if __name__ == "__main__":
    main()
