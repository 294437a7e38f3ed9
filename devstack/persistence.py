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
- **Restore happens before the bucket's notification exists**, so no restored object fires an event and nothing is
  converted twice. Recordings that were `processing` (or an `awaiting_upload` slot whose file had already arrived)
  get one synthetic ObjectCreated event each, carrying what S3's own would (bucket, URL-encoded key, ETag, size);
  the converter is idempotent, so a recording that finished meanwhile is skipped.
- Restored objects keep their ETags: single-PUT objects are PUT again (the ETag is the MD5 of the bytes), objects
  that were multipart uploads are uploaded again in parts of the size they had (found when mirroring, by matching
  the ETag), because the service names MP3s and conditions its writes on ETags.
- Files are streamed from disk in chunks (never read whole on this side); moto itself holds one request body in
  memory while it stores it, so the peak is about the largest object, not the library.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable

from devstack.datadir import DataDirectory, ObjectEntry, ObjectStore

FLUSH_SECONDS = 0.5
LOSS_BOUND_SECONDS = 2.0  # what the README promises for a SIGKILL: see the module's docstring
CHUNK_BYTES = 1024 * 1024
CANDIDATE_PART_SIZES = (8 * 1024 * 1024, 5 * 1024 * 1024, 16 * 1024 * 1024, 10 * 1024 * 1024)
RESTORE_THREADS = 4
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
        self._thread = threading.Thread(target=self._run, name="mirror", daemon=True)

    # --- the listener --------------------------------------------------------------------------------------------
    def objects_changed(self, bucket: str, keys: list[str]) -> None:
        if bucket != self.bucket:
            return
        for key in keys:
            try:
                self.sync_object(key)
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

    def sync_object(self, key: str) -> None:
        """Make the mirror hold what the bucket holds under `key` now (one key at a time, so two racing writes of
        it end with the bucket's last version on disk too)."""
        with self._lock_for(key):
            for _ in range(5):
                try:
                    head = self.s3.head_object(Bucket=self.bucket, Key=key)
                except self.s3.exceptions.ClientError as error:
                    if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
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
                    if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412", "NoSuchKey",
                                                                           "404"):
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
        for entry in self.store.entries():
            if entry.key not in listed:
                self.sync_object(entry.key)
        for key, etag in listed.items():
            known = self.store.get(key)
            if known is None or known.etag != etag:
                self.sync_object(key)

    # --- tables --------------------------------------------------------------------------------------------------
    def snapshot_tables(self) -> dict[str, int]:
        counts = {}
        for table in self.tables:
            items = (item for page in self.dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
                     for item in page.get("Items", []))
            counts[table] = self.data.write_table(table, items)
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
@dataclass
class RestoreReport:
    items: dict[str, int]
    objects: int
    object_bytes: int
    etag_changes: list[str]
    seconds: float


def restore_tables(data: DataDirectory, dynamodb: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        count = 0
        batch: list[dict[str, Any]] = []
        for item in data.read_table(table):
            batch.append({"PutRequest": {"Item": item}})
            count += 1
            if len(batch) == 25:
                _batch_write(dynamodb, table, batch)
                batch = []
        if batch:
            _batch_write(dynamodb, table, batch)
        counts[table] = count
    return counts


def _batch_write(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    while pending:
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def restore_object(s3: Any, bucket: str, store: ObjectStore, entry: ObjectEntry) -> str:
    """Put one mirrored object back, streamed from its file; returns the ETag moto gave it."""
    extra: dict[str, Any] = {"Metadata": entry.metadata}
    if entry.content_type:
        extra["ContentType"] = entry.content_type
    path = store.blob_path(entry)
    if entry.part_size is None or not multipart_etag(entry.etag):
        with path.open("rb") as body:
            return s3.put_object(Bucket=bucket, Key=entry.key, Body=body, **extra)["ETag"].strip('"')
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=entry.key, **extra)["UploadId"]
    parts = []
    with path.open("rb") as file:
        while True:
            chunk = file.read(entry.part_size)  # one part: the size S3 parts had when this object was written
            if not chunk and parts:
                break
            response = s3.upload_part(Bucket=bucket, Key=entry.key, UploadId=upload_id, PartNumber=len(parts) + 1,
                                      Body=chunk)
            parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"]})
            if len(chunk) < entry.part_size:
                break
    completed = s3.complete_multipart_upload(Bucket=bucket, Key=entry.key, UploadId=upload_id,
                                             MultipartUpload={"Parts": parts})
    return completed["ETag"].strip('"')


def restore(data: DataDirectory, s3: Any, dynamodb: Any, bucket: str, tables: list[str]) -> RestoreReport:
    """Everything in the data directory back into moto. Call before the bucket's notification is attached."""
    started = time.perf_counter()
    items = restore_tables(data, dynamodb, tables)
    store = data.objects(bucket)
    entries = store.entries()
    changed: list[str] = []
    with ThreadPoolExecutor(RESTORE_THREADS, thread_name_prefix="restore") as pool:
        for entry, etag in zip(entries, pool.map(lambda e: restore_object(s3, bucket, store, e), entries)):
            if etag != entry.etag:
                changed.append(entry.key)
    for key in changed:
        log.warning("%s came back with another ETag than it had", key)
    return RestoreReport(items=items, objects=len(entries), object_bytes=sum(e.size for e in entries),
                         etag_changes=changed, seconds=time.perf_counter() - started)


# --- conversions that the stop interrupted --------------------------------------------------------------------------
def synthetic_created_event(bucket: str, key: str, etag: str, size: int, region: str) -> dict[str, Any]:
    """The S3 ObjectCreated notification S3 itself would have sent for this object (what the converter reads:
    the bucket's name, the URL-encoded key, the ETag and the size)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "devstack-restore"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "devstack-restore",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": urllib.parse.quote(key, safe=""), "size": size, "eTag": etag}},
    }]}


def interrupted_originals(recording_items: Iterable[dict[str, Any]], store: ObjectStore) -> list[ObjectEntry]:
    """The originals whose conversion the stop interrupted: recordings still `processing`, and `awaiting_upload`
    slots whose file had arrived (its event was lost with the queue). `recording_items` are in DynamoDB JSON."""
    found = []
    for item in recording_items:
        status = item.get("status", {}).get("S")
        recording_id = item.get("id", {}).get("S", "")
        if status not in ("processing", "awaiting_upload"):
            continue
        entry = store.get(f"{ORIGINALS_PREFIX}{recording_id}")
        if entry is not None:
            found.append(entry)
        elif status == "processing":
            log.warning("recording %s is processing but its original is not in the data directory", recording_id)
    return found


def enqueue_interrupted(data: DataDirectory, sqs: Any, queue_url: str, bucket: str, recordings_table: str,
                        region: str) -> int:
    entries = interrupted_originals(data.read_table(recordings_table), data.objects(bucket))
    for entry in entries:
        event = synthetic_created_event(bucket, entry.key, entry.etag, entry.size, region)
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    return len(entries)
