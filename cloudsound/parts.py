"""Uploading a file in parts (the service's S3 multipart uploads): several parts in flight, a failed part tried again
with backoff, and a run interrupted (Ctrl-C, a lost connection, a killed process) resumed by the next run on the
same file: the service says which parts S3 already holds, and only the others are sent.

Which upload a file belongs to is remembered beside the config file (`uploads.json`), by the file's absolute path,
size and modification time; a changed file starts a new upload.
"""

from __future__ import annotations

import json
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from cloudsound.client import CHUNK, Client, CliError, config_path

ATTEMPTS = 6  # tries of one part before the run gives up (the next run resumes)
RETRIED_STATUSES = (403, 408, 429, 500, 502, 503, 504)  # 403: the link expired; a fresh one is asked for


def state_path() -> Path:
    return config_path().parent / "uploads.json"


def file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def remembered(path: Path) -> str | None:
    """The recording an earlier run started uploading this file into (None: none, or the file changed)."""
    try:
        value = json.loads(state_path().read_text()).get(file_key(path))
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def remember(path: Path, recording_id: str | None) -> None:
    """Keep (or, with None, forget) which recording this file is going into."""
    target = state_path()
    try:
        uploads = json.loads(target.read_text())
        uploads = uploads if isinstance(uploads, dict) else {}
    except (OSError, ValueError):
        uploads = {}
    key = file_key(path)
    if recording_id is None:
        uploads.pop(key, None)
    else:
        uploads[key] = recording_id
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(uploads, indent=2) + "\n")
    temporary.replace(target)


def resume(client: Client, path: Path, parallel: int) -> dict[str, Any] | None:
    """Finish the upload an earlier run began for this file, if the service still has it; the recording, or None
    to start afresh."""
    recording_id = remembered(path)
    if recording_id is None:
        return None
    response = client.session.get(
        f"{client.url}/recordings/{recording_id}/upload",
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=60,
    )
    if response.status_code == 409:  # completed by the earlier run: nothing to send
        remember(path, None)
        return dict(client.call("GET", f"/recordings/{recording_id}").json())
    if response.status_code != 200:  # deleted, expired, or another account's: start again
        remember(path, None)
        return None
    return send(client, recording_id, path, parallel)


def send(
    client: Client, recording_id: str, path: Path, parallel: int, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Send the parts S3 does not hold yet, `parallel` at a time, then complete the upload."""
    state = {"size": path.stat().st_size}
    parts = list(missing_parts(client, recording_id, state))
    done = state["size"] - sum(part["size"] for part in parts)
    if done:
        print(
            f"resuming {recording_id}: {done} of {state['size']} bytes already in storage; sending {len(parts)} "
            "part(s)",
            file=sys.stderr,
        )
    bar = tqdm(
        total=state["size"],
        initial=done,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=path.name,
        disable=None,
        file=sys.stderr,
    )
    try:
        run_parallel(
            [
                lambda part=part: put_part(client, recording_id, path, part, state["part_size"], bar, sleep)
                for part in parts
            ],
            parallel,
        )
    finally:
        bar.close()
    completed = client.call("POST", f"/recordings/{recording_id}/upload/complete", auth=True)
    remember(path, None)
    return dict(completed.json())


def missing_parts(client: Client, recording_id: str, state: dict[str, Any], first: int = 1) -> Iterator[dict[str, Any]]:
    """Every part S3 does not hold yet, with a fresh link (the service's pages followed from part `first`)."""
    cursor: str | None = str(first)
    while cursor:
        page = client.call("GET", f"/recordings/{recording_id}/upload", auth=True, params={"cursor": cursor}).json()
        if page["size"] != state["size"]:
            raise CliError(f"the upload {recording_id} is for a file of {page['size']} bytes, not this one")
        state["part_size"] = page["part_size"]
        yield from (part for part in page["parts"] if part["url"])
        cursor = page["next_cursor"]


def put_part(
    client: Client,
    recording_id: str,
    path: Path,
    part: dict[str, Any],
    part_size: int,
    bar: tqdm,
    sleep: Callable[[float], None],
) -> None:
    """PUT one part from the file, tried again with exponential backoff (and a fresh link) when it fails."""
    url = part["url"]
    for attempt in range(ATTEMPTS):
        sent = [0]
        try:
            with path.open("rb") as handle:
                handle.seek((part["number"] - 1) * part_size)
                response = requests.put(url, data=PartReader(handle, part["size"], bar, sent), timeout=(10, 300))
            if response.status_code < 300:
                return
            if response.status_code not in RETRIED_STATUSES:
                raise CliError(f"storage refused part {part['number']}: HTTP {response.status_code}")
        except (requests.ConnectionError, requests.Timeout):
            pass
        bar.update(-sent[0])  # what this attempt sent counts again on the next
        if attempt + 1 < ATTEMPTS:
            sleep(min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0))
            url = fresh_link(client, recording_id, part["number"])
            if url is None:
                return  # S3 has it after all (the answer was lost, not the part)
    raise CliError(f"part {part['number']} failed {ATTEMPTS} times; run the same command again to resume")


def fresh_link(client: Client, recording_id: str, number: int) -> str | None:
    """A new link for one part; None if S3 holds it already."""
    page = client.call(
        "GET", f"/recordings/{recording_id}/upload", auth=True, params={"cursor": str(number), "limit": "1"}
    ).json()
    url = page["parts"][0]["url"] if page["parts"] else None
    return str(url) if url else None


def run_parallel(tasks: list[Callable[[], None]], parallel: int) -> None:
    """Run the tasks on `parallel` daemon threads (Ctrl-C ends the run at once: what S3 holds stays); the first
    error stops the rest and is raised."""
    pending: queue.Queue[Callable[[], None]] = queue.Queue()
    for task in tasks:
        pending.put(task)
    errors: list[BaseException] = []
    finished = threading.Semaphore(0)

    def worker() -> None:
        while not errors:
            try:
                task = pending.get_nowait()
            except queue.Empty:
                break
            try:
                task()
            except BaseException as error:  # noqa: BLE001 - handed to the main thread
                errors.append(error)
        finished.release()

    workers = max(1, min(parallel, len(tasks)))
    for _ in range(workers):
        threading.Thread(target=worker, daemon=True).start()
    for _ in range(workers):
        while not finished.acquire(timeout=0.2):  # a timeout, so Ctrl-C reaches the main thread
            pass
    if errors:
        raise errors[0]


class PartReader:
    """One part of the file, read in chunks as requests sends it (its length gives the Content-Length)."""

    def __init__(self, handle: Any, size: int, bar: tqdm, sent: list[int]) -> None:
        self._handle = handle
        self._left = size
        self._size = size
        self._bar = bar
        self._sent = sent

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(min(self._left, CHUNK))  # whole chunks whatever is asked (http.client asks 8 KiB)
        self._left -= len(data)
        self._sent[0] += len(data)
        self._bar.update(len(data))
        return bytes(data)
