"""A DELETE reaches the data directory in the order the service made it: the record first, then its files. The
mirror writes the table snapshot before it removes an object from disk, so a SIGKILL at any moment leaves the
recording whole (the delete lost) or gone whole, never a `ready` record whose files are missing."""

from __future__ import annotations

import urllib.request

from devstack.datadir import DataDirectory
from devstack.persistence import Mirror
from devstack.restore import restore
from tests.integration.test_devstack_persistence import (  # noqa: F401
    BUCKET,
    TABLE,
    aws,
    create_resources,
)

KEYS = ("originals/r1", "mp3/r1/e.mp3", "peaks/r1/e.json")


def recording_ids_on_disk(data: DataDirectory) -> list[str]:
    return [item["id"]["S"] for item in data.read_table(TABLE)]


def test_files_leave_the_disk_only_after_the_record_that_named_them(aws, tmp_path):  # noqa: F811
    server, s3, dynamodb = aws
    data = DataDirectory.open(tmp_path / "data")
    mirror = Mirror(data, s3, dynamodb, BUCKET, [TABLE])  # its timer is not started: only what it does at once
    server.layer.listener = mirror
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "r1"}, "status": {"S": "ready"}})
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "r2"}, "status": {"S": "ready"}})
    for key in (*KEYS, "originals/r2"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"bytes of " + key.encode())
    mirror.snapshot_tables()  # as the timer would have, long before the delete
    assert sorted(recording_ids_on_disk(data)) == ["r1", "r2"]

    # the service's delete: the record, then its files in one DeleteObjects, and a lone DeleteObject
    dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": "r1"}})
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in KEYS[:2]], "Quiet": True})
    s3.delete_object(Bucket=BUCKET, Key=KEYS[2])

    # what a SIGKILL right now leaves on disk: the record is gone with its files
    assert recording_ids_on_disk(data) == ["r2"]
    assert [key for key in KEYS if data.objects(BUCKET).get(key) is not None] == []
    data.close()
    server.layer.listener = None

    create_resources_after_reset(server, s3, dynamodb)
    reopened = DataDirectory.open(tmp_path / "data")
    try:
        report = restore(reopened, s3, dynamodb, BUCKET, [TABLE])
    finally:
        reopened.close()
    assert report.items == {TABLE: 1} and report.objects == 1


def create_resources_after_reset(server, s3, dynamodb) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")).close()
    create_resources(s3, dynamodb)
