"""Mirror and restore through a real in-process moto behind the strict layer: what is written is on disk before
the write is answered, comes back with the same bytes and ETags (multipart ones included) into a fresh moto, and
the conversions the stop interrupted are re-announced with events the converter reads as S3's own."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator

import pytest

from chalicelib.pipeline import s3_objects
from devstack.__main__ import LOCAL_CREDENTIALS, devstack_client, free_port
from devstack.datadir import DataDirectory, ObjectStore
from devstack.persistence import Mirror
from devstack.restore import interrupted_originals, restore, synthetic_created_event
from devstack.strict_s3 import LocalAws

BUCKET = "audio"
TABLE = "recordings"


def create_resources(s3, dynamodb) -> None:
    s3.create_bucket(Bucket=BUCKET)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )


@pytest.fixture()
def aws(monkeypatch) -> Iterator[tuple[LocalAws, object, object]]:
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(256 * 1024))
    server = LocalAws(free_port(), LOCAL_CREDENTIALS)
    server.start()
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")).close()
    s3 = devstack_client("s3", server.endpoint, "us-east-1")
    dynamodb = devstack_client("dynamodb", server.endpoint, "us-east-1")
    create_resources(s3, dynamodb)
    yield server, s3, dynamodb
    server.stop()


def put_multipart(s3, key: str, data: bytes, part_size: int) -> str:
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ContentType="audio/mpeg")["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), part_size), start=1):
        etag = s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=number, Body=data[start : start + part_size]
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    return s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})[
        "ETag"
    ].strip('"')


def test_writes_are_mirrored_before_they_are_answered_and_restore_with_the_same_bytes_and_etags(aws, tmp_path):
    server, s3, dynamodb = aws
    data = DataDirectory.open(tmp_path / "data")
    mirror = Mirror(data, s3, dynamodb, BUCKET, [TABLE])
    server.layer.listener = mirror
    original = os.urandom(300_000)
    mp3 = os.urandom(5 * 1024 * 1024 + 12_345)

    single_etag = s3.put_object(Bucket=BUCKET, Key="originals/r1", Body=original, ContentType="audio/wav")[
        "ETag"
    ].strip('"')
    assert data.objects(BUCKET).get("originals/r1").etag == single_etag  # on disk as soon as the PUT returned
    multipart_etag = put_multipart(s3, "mp3/r1/e.mp3", mp3, 5 * 1024 * 1024)
    assert data.objects(BUCKET).get("mp3/r1/e.mp3").part_size == 5 * 1024 * 1024
    s3.put_object(Bucket=BUCKET, Key="peaks/gone.json", Body=b"[]")
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "peaks/gone.json"}], "Quiet": True})
    assert data.objects(BUCKET).get("peaks/gone.json") is None
    dynamodb.put_item(
        TableName=TABLE, Item={"id": {"S": "r1"}, "status": {"S": "processing"}, "duration": {"N": "1.234014"}}
    )
    mirror.stop()  # the final snapshot of a clean stop
    data.close()

    server.layer.listener = None
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")).close()
    create_resources(s3, dynamodb)
    reopened = DataDirectory.open(tmp_path / "data")
    try:
        report = restore(reopened, s3, dynamodb, BUCKET, [TABLE])
    finally:
        reopened.close()

    assert report.etag_changes == [] and report.objects == 2 and report.items == {TABLE: 1}
    assert s3.head_object(Bucket=BUCKET, Key="originals/r1")["ETag"].strip('"') == single_etag
    assert s3.head_object(Bucket=BUCKET, Key="mp3/r1/e.mp3")["ETag"].strip('"') == multipart_etag
    assert s3.get_object(Bucket=BUCKET, Key="mp3/r1/e.mp3")["Body"].read() == mp3
    assert s3.get_object(Bucket=BUCKET, Key="originals/r1")["ContentType"] == "audio/wav"
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "r1"}})["Item"]
    assert item["duration"] == {"N": "1.234014"}


def test_the_restart_event_is_read_by_the_converter_as_s3s_own():
    event = synthetic_created_event(BUCKET, "originals/a b+c", "0123abcd", 4096, "us-east-1")

    [created] = s3_objects([json.dumps(event)])

    assert (created.bucket, created.key, created.etag, created.size) == (BUCKET, "originals/a b+c", "0123abcd", 4096)


def test_processing_recordings_and_slots_whose_file_arrived_are_the_interrupted_ones(tmp_path):
    store = ObjectStore(tmp_path / "bucket")
    for recording_id in ("converting", "arrived", "done"):
        store.put(
            f"originals/{recording_id}", f"etag-{recording_id}", None, {}, lambda file: (file.write(b"x"), (1, None))[1]
        )
    items = [
        {"id": {"S": "converting"}, "status": {"S": "processing"}},
        {"id": {"S": "arrived"}, "status": {"S": "awaiting_upload"}},
        {"id": {"S": "waiting"}, "status": {"S": "awaiting_upload"}},
        {"id": {"S": "done"}, "status": {"S": "ready"}},
        {"id": {"S": "usage#1"}, "bytes": {"N": "1"}},
    ]

    found = interrupted_originals(items, store)

    assert sorted(entry.key for entry in found) == ["originals/arrived", "originals/converting"]
