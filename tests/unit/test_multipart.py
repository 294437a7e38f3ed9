"""Uploads in parts, decided on plain values: when a file goes in parts, its part size and count within S3's
limits, the pages of its state, what keeps its parts from making up the file; and the devstack's filter for
moto's extra event, and the converter reading S3's CompleteMultipartUpload event."""

from __future__ import annotations

import json

import pytest

from chalicelib.multipart import (
    MAX_PARTS,
    MIB,
    WrongPart,
    in_parts,
    page_numbers,
    part_bytes,
    part_count,
    part_size_for,
    problems,
)
from chalicelib.s3_events import CreatedObject, s3_objects
from devstack.moto_events import is_multipart_echo


def test_a_file_goes_in_parts_above_the_threshold_when_asked_and_always_past_one_put():
    assert not in_parts(64 * MIB, None, 64 * MIB)
    assert in_parts(64 * MIB + 1, None, 64 * MIB)
    assert in_parts(1, True, 64 * MIB)
    assert not in_parts(100 * MIB, False, 64 * MIB)
    assert in_parts(5 * 1024**3 + 1, False, 64 * MIB)


@pytest.mark.parametrize("size", [1, 5 * MIB, 8 * MIB * MAX_PARTS, 8 * MIB * MAX_PARTS + 1, 5 * 1024**4])
def test_parts_are_at_least_5_mib_and_at_most_10000(size):
    part_size = part_size_for(size, 8 * MIB)

    assert 5 * MIB <= part_size <= 5 * 1024**3 and part_size % MIB == 0
    assert part_count(size, part_size) <= MAX_PARTS
    assert sum(part_bytes(n, size, part_size) for n in range(1, part_count(size, part_size) + 1)) == size


def test_a_preferred_part_size_below_s3s_least_is_raised():
    assert part_size_for(100 * MIB, 1) == 5 * MIB


def test_the_last_part_holds_the_rest_and_there_is_no_part_past_it():
    assert [part_bytes(n, 12, 5) for n in (1, 2, 3)] == [5, 5, 2]
    with pytest.raises(ValueError):
        part_bytes(4, 12, 5)
    with pytest.raises(ValueError):
        part_bytes(0, 12, 5)


def test_pages_cover_every_part_once():
    size, part_size = 12 * 5 * MIB, 5 * MIB
    numbers, following, seen = range(0), 1, []
    while following is not None:
        numbers, following = page_numbers(size, part_size, following, 5)
        seen += list(numbers)
    assert seen == list(range(1, 13))
    assert page_numbers(size, part_size, 40, 5) == (range(40, 13), None)  # past the end: nothing


def test_problems_name_the_missing_and_the_wrong_parts():
    size, part_size = 23, 5  # parts 5, 5, 5, 5, 3

    assert problems([(1, 5), (2, 5), (3, 5), (4, 5), (5, 3)], size, part_size) is None
    assert problems([(1, 5), (2, 5), (3, 5), (4, 5), (5, 3), (6, 1)], size, part_size) is None  # past the end
    found = problems([(1, 5), (3, 4), (5, 3)], size, part_size)
    assert found is not None
    assert found.missing == (2, 4) and found.wrong == (WrongPart(3, 4, 5),)
    assert found.describe() == "missing parts 2, 4; wrong size: part 3 has 4 bytes, not 5"
    assert problems([], 10 * 5, 5).describe() == "missing parts 1-10"


def event(name: str, etag: str) -> str:
    created = {"key": "originals/abc", "eTag": etag, "size": 11}
    return json.dumps({"Records": [{"eventName": name, "s3": {"bucket": {"name": "b"}, "object": created}}]})


def test_the_converter_takes_s3s_complete_multipart_upload_event():
    assert s3_objects([event("ObjectCreated:CompleteMultipartUpload", "d41d8cd98f00b204e9800998ecf8427e-3")]) == [
        CreatedObject("b", "originals/abc", "d41d8cd98f00b204e9800998ecf8427e-3", 11)
    ]


def test_the_local_stack_drops_motos_extra_put_for_a_completed_upload_only():
    assert is_multipart_echo(event("ObjectCreated:Put", "d41d8cd98f00b204e9800998ecf8427e-3"))
    assert not is_multipart_echo(event("ObjectCreated:CompleteMultipartUpload", "d41d8cd98f00b204e9800998ecf8427e-3"))
    assert not is_multipart_echo(event("ObjectCreated:Put", "d41d8cd98f00b204e9800998ecf8427e"))
    for junk in ("not json", "[]", json.dumps({"Event": "s3:TestEvent"}), json.dumps({"Records": [1]})):
        assert not is_multipart_echo(junk)


def test_the_buckets_lifecycle_rule_aborts_an_upload_only_after_it_expires():
    from chalicelib.config import settings
    from devstack.resources import load_template

    bucket = next(r for r in load_template()["Resources"].values() if r.get("Type") == "AWS::S3::Bucket")
    [days] = [
        rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        if rule["Status"] == "Enabled" and "AbortIncompleteMultipartUpload" in rule
    ]
    assert days * 24 * 3600 >= settings().multipart_ttl_seconds
