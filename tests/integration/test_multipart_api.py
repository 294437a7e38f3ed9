"""Uploads in parts through the API, on moto behind the strict S3 layer: announce, send parts (some missing, some
cut), ask what is missing, complete, convert; strangers and tampered links refused; delete aborts and releases."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from typing import Any

import pytest
import requests

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.storage import original_key

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDSOUND_MULTIPART_PART_BYTES", str(5 * MIB))


@pytest.fixture
def wav(make_audio) -> bytes:
    """About 11 MiB of real audio (30 s of 96 kHz stereo): three parts of 5 MiB."""
    return make_audio("long.wav", seconds=30, rate=96000, channels=2).read_bytes()


def call(client, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return getattr(client.http, method.lower())(
        path, headers=headers, **({"body": json.dumps(body)} if body is not None else {})
    )


def announce(client, token: str, size: int, **fields: Any) -> dict[str, Any]:
    response = call(client, "POST", "/recordings", token, {"name": "master.wav", "size": size, **fields})
    assert response.status_code == 201, response.body
    return response.json_body


def state(client, token: str, recording_id: str, query: str = "") -> dict[str, Any]:
    response = call(client, "GET", f"/recordings/{recording_id}/upload{query}", token)
    assert response.status_code == 200, response.body
    return response.json_body


def put_parts(answer: dict[str, Any], data: bytes, numbers: set[int] | None = None) -> None:
    part_size = answer["part_size"]
    for part in answer["parts"]:
        if part["url"] is None or (numbers is not None and part["number"] not in numbers):
            continue
        start = (part["number"] - 1) * part_size
        put = requests.put(part["url"], data=data[start : start + part["size"]], timeout=30)
        assert put.status_code == 200, put.text


def reserved(client, token: str) -> int:
    return call(client, "GET", "/me", token).json_body["reserved"]["bytes"]


def uploads_in_s3() -> list[dict[str, Any]]:
    return aws.s3().list_multipart_uploads(Bucket=settings().bucket).get("Uploads", [])


def test_a_file_above_the_threshold_is_announced_in_parts_and_its_size_reserved(client, alice):
    size = 64 * MIB + 1
    created = announce(client, alice["token"], size)

    upload = created["upload"]
    assert upload["method"] == "multipart" and upload["size"] == size
    assert upload["part_size"] == 5 * MIB and upload["part_count"] == 13
    assert upload["url"].endswith(f"/recordings/{created['id']}/upload") and upload["expires_at"].endswith("Z")
    assert created["status"] == "awaiting_upload"
    assert reserved(client, alice["token"]) == size
    assert [u["Key"] for u in uploads_in_s3()] == [original_key(created["id"])]


def test_the_threshold_and_the_flag_choose(client, alice, monkeypatch):
    assert announce(client, alice["token"], 64 * MIB)["upload"]["method"] == "PUT"
    assert announce(client, alice["token"], 1000, multipart=True)["upload"]["method"] == "multipart"
    assert announce(client, alice["token"], 100 * MIB, multipart=False)["upload"]["method"] == "PUT"
    monkeypatch.setenv("CLOUDSOUND_MULTIPART_FROM_BYTES", "1000")
    assert announce(client, alice["token"], 1001)["upload"]["method"] == "multipart"


def test_a_file_too_large_for_one_put_goes_in_parts_that_fit_in_10000(client, alice, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_QUOTA_BYTES", str(6 * 1024**4))
    size = 5 * 1024**4  # S3's largest object
    upload = announce(client, alice["token"], size, multipart=False)["upload"]

    assert upload["method"] == "multipart"
    assert upload["part_count"] <= 10_000 and upload["part_size"] * upload["part_count"] >= size
    assert call(client, "POST", "/recordings", alice["token"], {"size": size + 1}).status_code == 422


def test_over_the_quota_nothing_is_left_behind(client, alice):
    response = call(client, "POST", "/recordings", alice["token"], {"size": 2 * 1024**3, "multipart": True})

    assert response.status_code == 413, response.body
    assert response.json_body["error"]["code"] == "quota_exceeded"
    assert uploads_in_s3() == [] and reserved(client, alice["token"]) == 0


def test_parts_missing_are_named_then_sent_and_the_upload_converts(client, api, alice, wav):
    token = alice["token"]
    created = announce(client, token, len(wav), multipart=True)
    first = state(client, token, created["id"])
    assert [p["number"] for p in first["parts"]] == [1, 2, 3]
    assert all(p["etag"] is None and p["url"] for p in first["parts"])
    assert sum(p["size"] for p in first["parts"]) == len(wav) and first["next_cursor"] is None

    put_parts(first, wav, {1, 3})  # the connection dropped during part 2
    refused = call(client, "POST", f"/recordings/{created['id']}/upload/complete", token)
    assert refused.status_code == 409
    assert refused.json_body["error"]["missing"] == [2] and "part 2" in refused.json_body["error"]["message"]

    again = state(client, token, created["id"])  # resuming: ask what is missing
    assert [(p["number"], p["etag"] is None, p["url"] is None) for p in again["parts"]] == [
        (1, False, True),
        (2, True, False),
        (3, False, True),
    ]
    put_parts(again, wav)
    done = call(client, "POST", f"/recordings/{created['id']}/upload/complete", token)
    assert done.status_code == 202, done.body
    assert done.json_body["status"] == "processing"
    assert call(client, "POST", f"/recordings/{created['id']}/upload/complete", token).status_code == 202
    assert call(client, "GET", f"/recordings/{created['id']}/upload", token).status_code == 409

    events = [
        record["eventName"]
        for event in api.convert_pending()
        for record in json.loads(event["Records"][0]["body"]).get("Records", [])
    ]
    assert "ObjectCreated:CompleteMultipartUpload" in events
    ready = call(client, "GET", f"/recordings/{created['id']}", token).json_body
    assert ready["status"] == "ready", ready
    assert ready["duration"] == pytest.approx(30, abs=0.05)
    assert reserved(client, token) == 0
    stored = aws.s3().get_object(Bucket=settings().bucket, Key=original_key(created["id"]))["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(wav).hexdigest()


def test_a_page_of_parts(client, alice):
    created = announce(client, alice["token"], 12 * 5 * MIB, multipart=True)

    page = state(client, alice["token"], created["id"], "?limit=5")
    assert [p["number"] for p in page["parts"]] == [1, 2, 3, 4, 5] and page["next_cursor"] == "6"
    last = state(client, alice["token"], created["id"], "?limit=5&cursor=11")
    assert [p["number"] for p in last["parts"]] == [11, 12] and last["next_cursor"] is None
    for query in ("?cursor=0", "?cursor=abc", "?limit=0", "?limit=1001", "?cursor=1&nonsense=1"):
        assert call(client, "GET", f"/recordings/{created['id']}/upload{query}", alice["token"]).status_code == 400


def test_someone_elses_upload_is_not_found_on_every_route(client, api, alice, bob, wav):
    created = announce(client, alice["token"], len(wav), multipart=True)
    routes = [
        ("GET", f"/recordings/{created['id']}/upload"),
        ("POST", f"/recordings/{created['id']}/upload/complete"),
        ("DELETE", f"/recordings/{created['id']}"),
        ("GET", f"/recordings/{created['id']}"),
    ]

    for method, path in routes:
        assert call(client, method, path, bob["token"]).status_code == 404, (method, path)
        assert call(client, method, path, None).status_code in (401, 404), (method, path)
    put_parts(state(client, alice["token"], created["id"]), wav)
    assert call(client, "POST", routes[1][1], alice["token"]).status_code == 202
    # processing and public now: anyone may read it, but its upload stays the owner's
    assert call(client, "GET", f"/recordings/{created['id']}", bob["token"]).status_code == 200
    for method, path in routes[:2]:
        assert call(client, method, path, bob["token"]).status_code == 404, (method, path)


def test_a_part_link_serves_its_own_upload_only(client, alice, bob):
    mine = state(client, alice["token"], announce(client, alice["token"], 6 * MIB, multipart=True)["id"])
    theirs = announce(client, bob["token"], 6 * MIB, multipart=True)
    their_upload = next(u["UploadId"] for u in uploads_in_s3() if u["Key"] == original_key(theirs["id"]))
    link = urllib.parse.urlsplit(mine["parts"][0]["url"])
    other_key = link._replace(path=link.path.rsplit("/", 1)[0] + "/" + theirs["id"]).geturl()
    query = urllib.parse.parse_qs(link.query)
    query["uploadId"] = [their_upload]
    other_upload = link._replace(
        path=link.path.rsplit("/", 1)[0] + "/" + theirs["id"], query=urllib.parse.urlencode(query, doseq=True)
    ).geturl()
    body = b"\0" * (5 * MIB)

    for url in (other_key, other_upload):
        refused = requests.put(url, data=body, timeout=30)
        assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.content
    assert requests.put(mine["parts"][0]["url"], data=body[:-1], timeout=30).status_code == 403  # not its length
    parts = aws.s3().list_parts(Bucket=settings().bucket, Key=original_key(theirs["id"]), UploadId=their_upload)
    assert parts.get("Parts", []) == []


def test_deleting_an_unfinished_upload_aborts_it_and_releases_its_reservation(client, alice, wav):
    created = announce(client, alice["token"], len(wav), multipart=True)
    put_parts(state(client, alice["token"], created["id"]), wav, {1})

    assert call(client, "DELETE", f"/recordings/{created['id']}", alice["token"]).status_code == 204
    assert uploads_in_s3() == [] and reserved(client, alice["token"]) == 0
    assert call(client, "GET", f"/recordings/{created['id']}/upload", alice["token"]).status_code == 404


def test_an_upload_link_slot_has_no_parts(client, alice):
    created = announce(client, alice["token"], 1000)

    for method, path in (("GET", "upload"), ("POST", "upload/complete")):
        response = call(client, method, f"/recordings/{created['id']}/{path}", alice["token"])
        assert response.status_code == 409 and "no upload in parts" in response.json_body["error"]["message"]
    for tampered in ("nope", "../x", "a" * 65, created["id"][:-1] + ("1" if created["id"][-1] == "0" else "0")):
        path = f"/recordings/{urllib.parse.quote(tampered, safe='')}/upload"
        assert call(client, "GET", path, alice["token"]).status_code in (400, 404)


def test_an_expired_upload_is_gone(client, alice, monkeypatch):
    created = announce(client, alice["token"], 6 * MIB, multipart=True)
    store = wiring.recording_store()
    store.modify(created["id"], lambda current: {"expires_at": 1})

    assert call(client, "GET", f"/recordings/{created['id']}/upload", alice["token"]).status_code == 404
    assert call(client, "POST", f"/recordings/{created['id']}/upload/complete", alice["token"]).status_code == 404
