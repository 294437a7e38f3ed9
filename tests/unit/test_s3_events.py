"""Reading S3 notifications out of SQS message bodies: keys decoded, ETag and size taken when S3 gave them."""

from __future__ import annotations

import json

from chalicelib.pipeline import CreatedObject, s3_objects


def body(*records: dict) -> str:
    return json.dumps({"Records": list(records)})


def record(key: str, name: str = "ObjectCreated:Put", **created) -> dict:
    return {"eventName": name, "s3": {"bucket": {"name": "b"}, "object": {"key": key, **created}}}


def test_key_etag_and_size_come_from_the_record():
    assert s3_objects([body(record("originals/a%2Bb+c", eTag="0123abcd", size=10))]) == [
        CreatedObject("b", "originals/a+b c", "0123abcd", 10)
    ]


def test_without_etag_or_size_the_converter_is_left_to_ask_s3():
    assert s3_objects([body(record("k", size=True), record("k", eTag="", size=-1), record("k", eTag=7))]) == [
        CreatedObject("b", "k"),
        CreatedObject("b", "k"),
        CreatedObject("b", "k"),
    ]


def test_test_events_removals_and_junk_are_skipped():
    bodies = [
        "not json",
        json.dumps({"Event": "s3:TestEvent"}),
        json.dumps([1]),
        body(record("k", name="ObjectRemoved:Delete")),
        body(record("k", eTag='"x"', size=0)),
    ]

    assert s3_objects(bodies) == [CreatedObject("b", "k", "x", 0)]
