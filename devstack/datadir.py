"""The local stack's data directory: what survives a restart of `make run`.

Layout (`CLOUDSOUND_DATA_DIR`, by default `local-data/` in the project, git-ignored):

    cloudsound-data.json          what this directory is (so `make reset` never deletes a directory that is not one)
    lock                          held (flock) by the running stack: two stacks never share one directory
    tables/<table>.jsonl          one DynamoDB item per line, in DynamoDB JSON (types kept exactly)
    s3/<bucket>/entries/<id>.json one object: its key, ETag, size, Content-Type, metadata and the blob that holds it
    s3/<bucket>/blobs/<id>-<etag> the object's bytes

Every file is written to a temporary name, fsynced, renamed over the old one with os.replace, and its directory
fsynced: a reader (or a crash) sees the old file or the new one, never half of one. An object is committed by its
entry: the blob is written first, then the entry that names it, then the old blob is removed. A crash between those
steps leaves a blob no entry names, which the next start deletes; the entry always names a complete blob.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO
from collections.abc import Callable, Iterable, Iterator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "local-data"
MARKER_NAME = "cloudsound-data.json"
FORMAT_VERSION = 1
_TEMPORARY_SUFFIX = ".tmp"
log = logging.getLogger("cloudsound.stack")


class DataDirectoryError(RuntimeError):
    """The directory cannot be used: another stack holds it, or it is not a Cloud Sound data directory."""


def data_dir_from_environment() -> Path:
    configured = os.environ.get("CLOUDSOUND_DATA_DIR")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DATA_DIR


def fsync_directory(directory: Path) -> None:
    """Make a rename or an unlink in `directory` durable (the file's own fsync does not cover its name)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write(file)` so that it holds the old content or the new, whatever happens."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{_TEMPORARY_SUFFIX}")
    try:
        with temporary.open("wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def is_data_directory(path: Path) -> bool:
    return (path / MARKER_NAME).is_file()


def reset(path: Path) -> bool:
    """Delete a data directory (so the next start is empty). Refuses a directory that is not one, and one that a
    running stack holds. Returns whether there was anything to delete."""
    if not path.exists():
        return False
    if any(path.iterdir()) and not is_data_directory(path):
        raise DataDirectoryError(f"{path} is not a Cloud Sound data directory (no {MARKER_NAME}); not deleting it")
    with (path / "lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirectoryError(f"a running local stack is using {path}; stop it first") from None
        shutil.rmtree(path)
    return True


def _lock_waiting(lock_file: Any, wait_seconds: float, root: Path) -> None:
    """flock `lock_file`, polling for up to `wait_seconds` while another process holds it (a blocking flock could
    not be bounded); then the refusal, naming the directory."""
    deadline = time.monotonic() + wait_seconds
    said = False
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DataDirectoryError(f"another local stack is using {root}") from None
        if not said:
            log.info("another local stack is still using %s; waiting up to %.0f s for it to stop", root, wait_seconds)
            said = True
        time.sleep(0.1)


@dataclass(frozen=True)
class ObjectEntry:
    """What the bucket held under one key, and where its bytes are. `part_size` is set for an object that was
    written as a multipart upload (its ETag ends in `-N`): restoring it with parts of that size gives it the same
    ETag, which the service's conditional writes and key names depend on."""

    key: str
    etag: str
    size: int
    content_type: str | None
    metadata: dict[str, str]
    blob: str
    part_size: int | None = None


class ObjectStore:
    """The mirror of one bucket on disk, safe to use from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries_dir = root / "entries"
        self.blobs_dir = root / "blobs"
        self.entries_dir.mkdir(parents=True, exist_ok=True)
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._by_key: dict[str, ObjectEntry] = {}
        for path in self.entries_dir.glob("*.json"):
            entry = ObjectEntry(**json.loads(path.read_text()))
            self._by_key[entry.key] = entry
        self._remove_leftovers()

    @staticmethod
    def entry_id(key: str) -> str:
        """Keys can be anything S3 allows (slashes, `..`, 1,024 bytes): files are named by a hash of the key."""
        return hashlib.sha256(key.encode()).hexdigest()

    def _remove_leftovers(self) -> None:
        """Temporary files of an interrupted write, and blobs no entry names (written just before a crash)."""
        named = {entry.blob for entry in self._by_key.values()}
        for directory in (self.entries_dir, self.blobs_dir):
            for path in directory.iterdir():
                if path.name.endswith(_TEMPORARY_SUFFIX) or (directory is self.blobs_dir and path.name not in named):
                    path.unlink(missing_ok=True)

    def get(self, key: str) -> ObjectEntry | None:
        with self._lock:
            return self._by_key.get(key)

    def entries(self) -> list[ObjectEntry]:
        with self._lock:
            return list(self._by_key.values())

    def blob_path(self, entry: ObjectEntry) -> Path:
        return self.blobs_dir / entry.blob

    def put(
        self,
        key: str,
        etag: str,
        content_type: str | None,
        metadata: dict[str, str],
        write_bytes: Callable[[BinaryIO], tuple[int, int | None]],
    ) -> ObjectEntry:
        """Store one version of `key`. `write_bytes(file)` writes the object and returns (size, part_size)."""
        entry_id = self.entry_id(key)
        blob = f"{entry_id}-{re.sub(r'[^0-9A-Za-z-]', '_', etag)}"
        sizes: list[tuple[int, int | None]] = []
        atomic_write(self.blobs_dir / blob, lambda file: sizes.append(write_bytes(file)))
        size, part_size = sizes[0]
        entry = ObjectEntry(
            key=key, etag=etag, size=size, content_type=content_type, metadata=metadata, blob=blob, part_size=part_size
        )
        atomic_write(self.entries_dir / f"{entry_id}.json", lambda file: file.write(json.dumps(asdict(entry)).encode()))
        with self._lock:
            previous = self._by_key.get(key)
            self._by_key[key] = entry
        if previous is not None and previous.blob != blob:
            (self.blobs_dir / previous.blob).unlink(missing_ok=True)
        return entry

    def remove(self, key: str) -> None:
        with self._lock:
            previous = self._by_key.pop(key, None)
        if previous is None:
            return
        (self.entries_dir / f"{self.entry_id(key)}.json").unlink(missing_ok=True)
        fsync_directory(self.entries_dir)
        (self.blobs_dir / previous.blob).unlink(missing_ok=True)


class DataDirectory:
    """An opened data directory, locked for this process until `close()`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tables_dir = root / "tables"
        self._lock_file: Any = None
        self._stores: dict[str, ObjectStore] = {}

    @classmethod
    def open(cls, root: Path, wait_seconds: float = 0.0) -> DataDirectory:
        """Open and lock `root`. If another stack holds it, wait up to `wait_seconds` for it to let go: `make run`
        right after Ctrl-C starts while the previous stack is still stopping (`make` does not wait for it)."""
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER_NAME
        if not marker.exists():
            if any(path.name != "lock" for path in root.iterdir()):
                raise DataDirectoryError(f"{root} holds other files and is not a Cloud Sound data directory")
            atomic_write(marker, lambda file: file.write(json.dumps({"format": FORMAT_VERSION}).encode()))
        found = json.loads(marker.read_text()).get("format")
        if found != FORMAT_VERSION:
            raise DataDirectoryError(f"{root} is in format {found}; this stack reads format {FORMAT_VERSION}")
        directory = cls(root)
        directory._lock_file = (root / "lock").open("a")
        try:
            _lock_waiting(directory._lock_file, wait_seconds, root)
        except BaseException:
            directory._lock_file.close()
            raise
        directory.tables_dir.mkdir(exist_ok=True)
        for leftover in directory.tables_dir.glob(f"*{_TEMPORARY_SUFFIX}"):
            leftover.unlink()
        return directory

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the flock
            self._lock_file = None

    def objects(self, bucket: str) -> ObjectStore:
        if bucket not in self._stores:
            self._stores[bucket] = ObjectStore(self.root / "s3" / bucket)
        return self._stores[bucket]

    def table_path(self, table: str) -> Path:
        return self.tables_dir / f"{table}.jsonl"

    def write_table(self, table: str, items: Iterable[dict[str, Any]]) -> int:
        """Replace the table's snapshot with `items` (DynamoDB JSON); returns how many were written."""
        count = [0]

        def write(file: BinaryIO) -> None:
            for item in items:
                file.write(json.dumps(item, separators=(",", ":")).encode() + b"\n")
                count[0] += 1

        atomic_write(self.table_path(table), write)
        return count[0]

    def read_table(self, table: str) -> Iterator[dict[str, Any]]:
        path = self.table_path(table)
        if not path.exists():
            return
        with path.open("rb") as file:
            for line in file:
                if line.strip():
                    yield json.loads(line)
