"""Put the data directory back into a fresh moto server, before the bucket's notification is attached (so nothing
restored fires an event), and re-queue the conversions a stop interrupted. See devstack/persistence.py for why."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable

from devstack.datadir import DataDirectory, ObjectEntry, ObjectStore
from devstack.persistence import ORIGINALS_PREFIX, multipart_etag

RESTORE_THREADS = 4
log = logging.getLogger("cloudsound.persistence")


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
            response = s3.upload_part(
                Bucket=bucket, Key=entry.key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=chunk
            )
            parts.append({"PartNumber": len(parts) + 1, "ETag": response["ETag"]})
            if len(chunk) < entry.part_size:
                break
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key=entry.key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    return completed["ETag"].strip('"')


def restore(data: DataDirectory, s3: Any, dynamodb: Any, bucket: str, tables: list[str]) -> RestoreReport:
    """Everything in the data directory back into moto. Call before the bucket's notification is attached."""
    started = time.perf_counter()
    items = restore_tables(data, dynamodb, tables)
    store = data.objects(bucket)
    entries = store.entries()
    changed: list[str] = []
    with ThreadPoolExecutor(RESTORE_THREADS, thread_name_prefix="restore") as pool:
        for entry, etag in zip(entries, pool.map(lambda e: restore_object(s3, bucket, store, e), entries), strict=True):
            if etag != entry.etag:
                changed.append(entry.key)
    for key in changed:
        log.warning("%s came back with another ETag than it had", key)
    return RestoreReport(
        items=items,
        objects=len(entries),
        object_bytes=sum(e.size for e in entries),
        etag_changes=changed,
        seconds=time.perf_counter() - started,
    )


def index_for_search(endpoint: str, region: str, table: str, credentials: dict[str, str]) -> int:
    """Search entries for the recordings of a data directory written before the search index existed (none if it
    has entries): after the mirror started, so that they are kept too."""
    import boto3

    from infra.search_backfill import backfill

    [(access_key, secret_key)] = credentials.items()
    dynamodb = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )
    return backfill(dynamodb.Table(table), only_if_missing=True)


# --- conversions that the stop interrupted --------------------------------------------------------------------------
def synthetic_created_event(bucket: str, key: str, etag: str, size: int, region: str) -> dict[str, Any]:
    """The S3 ObjectCreated notification S3 itself would have sent for this object (what the converter reads:
    the bucket's name, the URL-encoded key, the ETag and the size)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "devstack-restore"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "devstack-restore",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": urllib.parse.quote(key, safe=""), "size": size, "eTag": etag},
                },
            }
        ]
    }


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


def enqueue_interrupted(
    data: DataDirectory, sqs: Any, queue_url: str, bucket: str, recordings_table: str, region: str
) -> int:
    entries = interrupted_originals(data.read_table(recordings_table), data.objects(bucket))
    for entry in entries:
        event = synthetic_created_event(bucket, entry.key, entry.etag, entry.size, region)
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    return len(entries)
