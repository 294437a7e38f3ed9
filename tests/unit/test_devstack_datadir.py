"""The data directory: atomic files, objects committed by their entry, leftovers of a crash cleaned up, one stack per
directory, and a reset that deletes only what is a data directory."""

from __future__ import annotations

import io
import os

import pytest

from devstack.datadir import DataDirectory, DataDirectoryError, ObjectStore, atomic_write, reset


def write_of(data: bytes):
    def write(file) -> tuple[int, None]:
        file.write(data)
        return len(data), None

    return write


def test_an_object_and_its_entry_are_read_back_after_reopening(tmp_path):
    store = ObjectStore(tmp_path / "bucket")
    store.put("originals/a b", "etag1", "audio/wav", {"k": "v"}, write_of(b"RIFF-one"))

    reopened = ObjectStore(tmp_path / "bucket")
    entry = reopened.get("originals/a b")

    assert (entry.etag, entry.size, entry.content_type, entry.metadata) == ("etag1", 8, "audio/wav", {"k": "v"})
    assert reopened.blob_path(entry).read_bytes() == b"RIFF-one"


def test_a_new_version_replaces_the_old_blob_and_a_removal_leaves_nothing(tmp_path):
    store = ObjectStore(tmp_path / "bucket")
    first = store.put("k", "etag1", None, {}, write_of(b"one"))
    second = store.put("k", "etag2", None, {}, write_of(b"two"))

    assert not store.blob_path(first).exists()
    assert store.blob_path(second).read_bytes() == b"two"
    store.remove("k")
    assert store.get("k") is None
    assert list((tmp_path / "bucket" / "blobs").iterdir()) == []
    assert list((tmp_path / "bucket" / "entries").iterdir()) == []


def test_a_write_that_fails_midway_keeps_the_previous_version_and_leaves_no_temporary_file(tmp_path):
    store = ObjectStore(tmp_path / "bucket")
    store.put("k", "etag1", None, {}, write_of(b"one"))

    def crash(file):
        file.write(b"half of tw")
        raise OSError("disk gone")

    with pytest.raises(OSError):
        store.put("k", "etag2", None, {}, crash)

    reopened = ObjectStore(tmp_path / "bucket")
    assert reopened.get("k").etag == "etag1"
    assert reopened.blob_path(reopened.get("k")).read_bytes() == b"one"
    assert [p.name for p in (tmp_path / "bucket" / "blobs").iterdir()] == [reopened.get("k").blob]


def test_what_a_kill_mid_write_leaves_behind_is_removed_at_the_next_open(tmp_path):
    store = ObjectStore(tmp_path / "bucket")
    kept = store.put("k", "etag1", None, {}, write_of(b"one"))
    # a SIGKILL after the blob was renamed but before its entry was, and one during a temporary file's write
    (tmp_path / "bucket" / "blobs" / f"{ObjectStore.entry_id('k')}-etag2").write_bytes(b"two")
    (tmp_path / "bucket" / "entries" / f".{ObjectStore.entry_id('k')}.json.123.456.tmp").write_bytes(b"{")

    reopened = ObjectStore(tmp_path / "bucket")

    assert reopened.get("k").etag == "etag1"
    assert sorted(p.name for p in (tmp_path / "bucket" / "blobs").iterdir()) == [kept.blob]
    assert len(list((tmp_path / "bucket" / "entries").iterdir())) == 1


def test_atomic_write_replaces_a_file_whole(tmp_path):
    target = tmp_path / "table.jsonl"
    atomic_write(target, lambda file: file.write(b"old\n"))

    with pytest.raises(RuntimeError):
        atomic_write(target, lambda file: (file.write(b"new, partly"), (_ for _ in ()).throw(RuntimeError())))

    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["table.jsonl"]


def test_a_table_snapshot_round_trips_dynamodb_json(tmp_path):
    data = DataDirectory.open(tmp_path / "data")
    items = [
        {"pk": {"S": "counter#user_id"}, "value": {"N": "41"}},
        {"pk": {"S": "user#1"}, "name": {"S": "Zoë"}, "tags": {"SS": ["a", "b"]}, "blob": {"B": "AAE="}},
    ]
    try:
        assert data.write_table("users", iter(items)) == 2
        assert list(data.read_table("users")) == items
        assert list(data.read_table("never-written")) == []
    finally:
        data.close()


def test_two_stacks_cannot_open_one_data_directory_and_a_running_one_cannot_be_reset(tmp_path):
    first = DataDirectory.open(tmp_path / "data")
    try:
        with pytest.raises(DataDirectoryError, match="another local stack"):
            DataDirectory.open(tmp_path / "data")
        with pytest.raises(DataDirectoryError, match="stop it first"):
            reset(tmp_path / "data")
    finally:
        first.close()
    assert reset(tmp_path / "data") is True
    assert not (tmp_path / "data").exists()


def test_reset_and_open_refuse_a_directory_that_is_not_a_data_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(DataDirectoryError, match="not a Cloud Sound data directory"):
        reset(tmp_path)
    with pytest.raises(DataDirectoryError):
        DataDirectory.open(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert reset(tmp_path / "absent") is False


def test_the_part_size_of_a_multipart_etag_is_found_from_the_bytes():
    from devstack.persistence import _PartHashes
    import hashlib

    data = io.BytesIO(os.urandom(5 * 1024 * 1024 + 4096)).getvalue()
    parts = [data[: 5 * 1024 * 1024], data[5 * 1024 * 1024 :]]
    etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-2"
    hashes = _PartHashes((8 * 1024 * 1024, 5 * 1024 * 1024))
    for start in range(0, len(data), 1_000_000):
        hashes.update(data[start : start + 1_000_000])

    assert hashes.matching_part_size(etag) == 5 * 1024 * 1024
    assert hashes.matching_part_size("0" * 32 + "-2") is None
