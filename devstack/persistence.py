"""Keep the local stack's data on disk while it runs, and put it back into a fresh moto server when it starts.

Why this shape (moto 5 has no persistence of its own; its request recorder replays notifications and loses
multipart objects; pickling its backends fails on SQS's lock and breaks across versions):
- **Objects are mirrored before the client is answered.** The layer in front of moto (devstack/strict_s3.py) sees
  every S3 write; when one succeeds it calls `Mirror.objects_changed`, which reads the object back from moto and
  commits it to the data directory (temp file, fsync, rename) before the answer goes out. An acknowledged upload is
  on disk, so a SIGKILL loses no object.
- **Tables are snapshotted at most every FLUSH_SECONDS.** A DynamoDB write only marks the tables dirty; a background
  thread scans them (every item, in DynamoDB JSON, so types round-trip exactly) and replaces each snapshot
  atomically. A write acknowledged less than about FLUSH_SECONDS + one scan before a SIGKILL can be lost: the
  stated bound is 2 seconds. A clean stop (Ctrl-C, SIGTERM) writes a final snapshot after the app has stopped.
  Scanning is fine here: it is the devstack, never a request path, and 1,000 recordings scan in well under a second.
- **An object leaves the disk only after a table snapshot taken after it left the bucket.** The service deletes a
  recording's record first and its files after (chalicelib/recording_service.py: delete), and writes files before
  the record that names them; in the bucket and the tables a `ready` record never names a missing file. The disk
  must keep that order: with removals committed at once and the tables up to FLUSH_SECONDS behind, a SIGKILL just
  after a DELETE brought the recording back `ready` and listed with its files gone (peaks 500). So a removal first
  writes a snapshot (one per request, under the same lock as the timer's, so an older scan can never land after
  it), which already lacks the deleted record, then removes the files: a kill at any moment leaves the recording
  whole (the delete lost, as any write of the last FLUSH_SECONDS may be) or gone whole. Repairing on restore instead
  (dropping records whose files are missing) would put the service's key layout and statuses into the devstack and
  turn a lost write into silently deleted data; ordering the mirror keeps the disk a state the service really was
  in. A Scan per delete is cheap here (deletes are rare; 1,000 recordings scan in well under a second).
- **Restore happens before the bucket's notification exists** (devstack/restore.py), so no restored object fires an
  event and nothing is converted twice. Recordings that were `processing` (or an `awaiting_upload` slot whose file had
  already arrived) get one synthetic ObjectCreated event each, carrying what S3's own would (bucket, URL-encoded key,
  ETag, size); the converter is idempotent, so a recording that finished meanwhile is skipped.
- Restored objects keep their ETags: single-PUT objects are PUT again (the ETag is the MD5 of the bytes), objects
  that were multipart uploads are uploaded again in parts of the size they had (found when mirroring, by matching
  the ETag), because the service names MP3s and conditions its writes on ETags.
- Files are streamed from disk in chunks (never read whole on this side); moto itself holds one request body in
  memory while it stores it, so the peak is about the largest object, not the library.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any, BinaryIO
from collections.abc import Callable, Iterable

from devstack.datadir import DataDirectory, ObjectEntry, ObjectStore

FLUSH_SECONDS = 0.5
LOSS_BOUND_SECONDS = 2.0  # what the README promises for a SIGKILL: see the module's docstring
CHUNK_BYTES = 1024 * 1024
CANDIDATE_PART_SIZES = (8 * 1024 * 1024, 5 * 1024 * 1024, 16 * 1024 * 1024, 10 * 1024 * 1024)
ORIGINALS_PREFIX = "originals/"
log = logging.getLogger("cloudsound.persistence")


class _PartHashes:
    """MD5s of a stream cut into parts of several candidate sizes at once: which size reproduces a multipart
    ETag (`md5(concat(md5(part)))-N`)."""

    def __init__(self, part_sizes: Iterable[int]) -> None:
        self.candidates = {size: {"digests": [], "current": hashlib.md5(), "filled": 0} for size in part_sizes}

    def update(self, chunk: bytes) -> None:
        for size, state in self.candidates.items():
            view = memoryview(chunk)
            while view:
                take = min(len(view), size - state["filled"])
                state["current"].update(view[:take])
                state["filled"] += take
                view = view[take:]
                if state["filled"] == size:
                    state["digests"].append(state["current"].digest())
                    state["current"], state["filled"] = hashlib.md5(), 0

    def matching_part_size(self, etag: str) -> int | None:
        for size, state in self.candidates.items():
            digests = state["digests"] + ([state["current"].digest()] if state["filled"] else [])
            if f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}" == etag:
                return size
        return None


def multipart_etag(etag: str) -> bool:
    return "-" in etag


def _once(action: Callable[[], object]) -> Callable[[], None]:
    """`action`, run by the first call only (later calls of one request need no newer snapshot)."""
    done: list[bool] = []

    def run() -> None:
        if not done:
            action()
            done.append(True)

    return run


class Mirror:
    """Keeps the data directory current with the moto server (the listener StrictS3 reports to)."""

    def __init__(self, data: DataDirectory, s3: Any, dynamodb: Any, bucket: str, tables: list[str]) -> None:
        self.data = data
        self.s3 = s3
        self.dynamodb = dynamodb
        self.bucket = bucket
        self.store: ObjectStore = data.objects(bucket)
        self.tables = tables
        self._tables_dirty = threading.Event()
        self._stopping = threading.Event()
        self._key_locks: dict[str, threading.Lock] = {}
        self._key_locks_guard = threading.Lock()
        self._failed_keys: set[str] = set()
        self._snapshot_lock = threading.Lock()  # snapshots land in the order they were scanned
        self._thread = threading.Thread(target=self._run, name="mirror", daemon=True)

    # --- the listener --------------------------------------------------------------------------------------------
    def objects_changed(self, bucket: str, keys: list[str]) -> None:
        if bucket != self.bucket:
            return
        snapshot_first = _once(self.snapshot_tables)  # one snapshot covers every removal of this request
        for key in keys:
            try:
                self.sync_object(key, snapshot_first)
            except Exception:
                with self._key_locks_guard:
                    self._failed_keys.add(key)
                raise

    def tables_changed(self) -> None:
        self._tables_dirty.set()

    # --- objects -------------------------------------------------------------------------------------------------
    def _lock_for(self, key: str) -> threading.Lock:
        with self._key_locks_guard:
            return self._key_locks.setdefault(key, threading.Lock())

    def sync_object(self, key: str, before_removal: Callable[[], object] | None = None) -> None:
        """Make the mirror hold what the bucket holds under `key` now (one key at a time, so two racing writes of
        it end with the bucket's last version on disk too). A key gone from the bucket leaves the disk only after
        `before_removal` (by default a table snapshot: see the module's docstring) has returned."""
        with self._lock_for(key):
            for _ in range(5):
                try:
                    head = self.s3.head_object(Bucket=self.bucket, Key=key)
                except self.s3.exceptions.ClientError as error:
                    if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                        if self.store.get(key) is not None:
                            (before_removal or self.snapshot_tables)()
                        self.store.remove(key)
                        return
                    raise
                etag = head["ETag"].strip('"')
                known = self.store.get(key)
                if known is not None and known.etag == etag:
                    return
                try:
                    self._copy(key, etag, head)
                    return
                except self.s3.exceptions.ClientError as error:
                    if error.response.get("Error", {}).get("Code") not in (
                        "PreconditionFailed",
                        "412",
                        "NoSuchKey",
                        "404",
                    ):
                        raise
                    # replaced or deleted between the HEAD and the GET: look again
            raise RuntimeError(f"{key} kept changing while it was being mirrored")

    def _copy(self, key: str, etag: str, head: dict[str, Any]) -> ObjectEntry:
        response = self.s3.get_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')

        def write(file: BinaryIO) -> tuple[int, int | None]:
            hashes = _PartHashes(CANDIDATE_PART_SIZES) if multipart_etag(etag) else None
            size = 0
            for chunk in response["Body"].iter_chunks(CHUNK_BYTES):
                file.write(chunk)
                size += len(chunk)
                if hashes is not None:
                    hashes.update(chunk)
            if hashes is None:
                return size, None
            part_size = hashes.matching_part_size(etag)
            if part_size is None:
                log.warning("%s: no part size reproduces its ETag %s; a restore will give it another", key, etag)
                part_size = CANDIDATE_PART_SIZES[0]
            return size, part_size

        return self.store.put(key, etag, head.get("ContentType"), head.get("Metadata") or {}, write)

    def reconcile_objects(self) -> None:
        """A full comparison of the bucket with the mirror (after a failed sync, and at start-up)."""
        listed: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                listed[item["Key"]] = item["ETag"].strip('"')
        snapshot_first = _once(self.snapshot_tables)
        for entry in self.store.entries():
            if entry.key not in listed:
                self.sync_object(entry.key, snapshot_first)
        for key, etag in listed.items():
            known = self.store.get(key)
            if known is None or known.etag != etag:
                self.sync_object(key)

    # --- tables --------------------------------------------------------------------------------------------------
    def snapshot_tables(self) -> dict[str, int]:
        counts = {}
        with self._snapshot_lock:
            for table in self.tables:
                pages = self.dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
                counts[table] = self.data.write_table(table, (item for page in pages for item in page.get("Items", [])))
        return counts

    # --- the background thread -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            try:
                self._flush_once()
            except Exception:  # noqa: BLE001 - keep mirroring; the next round tries again
                log.exception("the data mirror could not write its snapshot; retrying")
                self._tables_dirty.set()

    def _flush_once(self) -> None:
        if self._tables_dirty.is_set():
            self._tables_dirty.clear()  # before the scan: a write during the scan marks them dirty again
            self.snapshot_tables()
        with self._key_locks_guard:
            failed, self._failed_keys = self._failed_keys, set()
        if failed:
            self.reconcile_objects()

    def stop(self) -> None:
        """The final snapshot of a clean stop (the app and the workers have stopped writing)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._tables_dirty.set()
        self._flush_once()


# --- restore -------------------------------------------------------------------------------------------------------
