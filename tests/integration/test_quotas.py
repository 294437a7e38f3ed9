"""What one user can cost is bounded: stored bytes and hours of audio per user (the anonymous callers of the earlier
specs share a small quota of their own), checked at upload and again on the decoded audio; multipart bodies have a
bounded number of parts."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib import wiring
from tests.conftest import generate_audio
from tests.integration.conftest import object_keys


def me(client, user) -> dict:
    return client.http.get("/me", headers={"Authorization": f"Bearer {user['token']}"}).json_body


def test_an_upload_past_the_quota_is_413_naming_the_limit_and_the_usage(
    api, client, alice, stack, make_audio, monkeypatch
):
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    monkeypatch.setenv("CLOUDSOUND_QUOTA_BYTES", str(2 * len(wav) + 100))
    first = api.upload(alice["token"], wav)
    api.convert_pending()
    used = me(client, alice)["usage"]
    assert used["bytes"] > len(wav) and used["seconds"] == pytest.approx(1.0, abs=0.01)

    refused = api.upload(alice["token"], wav, expect=413)
    slot = client.http.post(
        "/recordings",
        body=json.dumps({"name": "big.wav", "size": 10}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )

    assert refused["error"]["code"] == "quota_exceeded"
    assert refused["error"]["limit_bytes"] == 2 * len(wav) + 100 and refused["error"]["used_bytes"] == used["bytes"]
    assert "MiB" in refused["error"]["message"]
    assert slot.status_code == 201  # there is still room, if not for this file
    assert len(object_keys(stack["CLOUDSOUND_BUCKET"])) == 3  # the first recording's files, nothing more

    api.delete(f"/recordings/{first['id']}", alice["token"])
    assert me(client, alice)["usage"] == {"bytes": 0, "seconds": 0.0}
    api.upload(alice["token"], wav)


def test_a_tiny_file_that_decodes_to_hours_stops_where_the_anonymous_quota_ends(
    api, client, stack, tmp_path, monkeypatch
):
    monkeypatch.setenv("CLOUDSOUND_GUEST_QUOTA_SECONDS", "30")
    silence = generate_audio(
        tmp_path / "silence.flac", seconds=1800, rate=8000, codec="flac", extra=("-af", "volume=0")
    ).read_bytes()
    assert len(silence) < 1_000_000  # half an hour of silence, compressed (29 MB decoded)
    posted = client.http.post("/post?name=silence.flac", body=silence, headers={"Content-Type": "audio/flac"})
    assert posted.status_code == 200

    started = time.monotonic()
    api.convert_pending()

    assert time.monotonic() - started < 10  # decoding stopped after 31 s of audio, not 30 minutes
    failed = wiring.recording_store().get(posted.json_body["id"])  # a failure is its owner's alone: nobody here
    assert failed.status == "failed" and "quota" in failed.error and "0.01 hours left" in failed.error
    assert [key for key in object_keys(stack["CLOUDSOUND_BUCKET"]) if key.startswith("mp3/")] == []


def test_a_body_of_thousands_of_tiny_parts_is_refused_at_once(client, alice):
    body = b"".join(b'--XX\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % n for n in range(60_000))
    started = time.monotonic()

    response = client.http.post(
        "/recordings",
        body=body + b"--XX--\r\n",
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "multipart/form-data; boundary=XX"},
    )

    assert response.status_code == 400 and "parts" in response.json_body["error"]["message"]
    assert time.monotonic() - started < 2


def test_a_slot_reserves_its_declared_size_and_one_past_the_room_is_refused_up_front(
    api, client, alice, stack, make_audio, monkeypatch
):
    small, big = (make_audio(f"{n}.wav", seconds=n, rate=8000).read_bytes() for n in (1, 4))
    monkeypatch.setenv("CLOUDSOUND_QUOTA_BYTES", str(len(big) + len(small) // 2))
    first = api.upload(alice["token"], small)
    api.convert_pending()
    stored = me(client, alice)["usage"]["bytes"]

    refused = slot_for(client, alice, "big.wav", len(big))
    assert refused.status_code == 413 and refused.json_body["error"]["code"] == "quota_exceeded"
    assert me(client, alice)["reserved"] == {"bytes": 0}
    slot = slot_for(client, alice, "small.wav", len(small)).json_body
    assert me(client, alice)["reserved"] == {"bytes": len(small)} and me(client, alice)["usage"]["bytes"] == stored
    assert requests_put(slot["upload"], small) == 200
    api.convert_pending()

    ready = client.http.get(f"/recordings/{slot['id']}", headers={"Authorization": f"Bearer {alice['token']}"})
    assert ready.json_body["status"] == "ready"
    assert me(client, alice)["reserved"] == {"bytes": 0}  # the reservation became usage
    assert me(client, alice)["usage"]["bytes"] == stored + len(small) + ready.json_body["mp3"]["size"]
    for recording_id in (first["id"], slot["id"]):
        api.delete(f"/recordings/{recording_id}", alice["token"])
    assert me(client, alice)["usage"] == {"bytes": 0, "seconds": 0.0}
    assert slot_for(client, alice, "big.wav", len(big)).status_code == 201  # room again


def slot_for(client, user, name, size):
    return client.http.post(
        "/recordings",
        body=json.dumps({"name": name, "size": size}),
        headers={"Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"},
    )


def requests_put(upload: dict, data: bytes) -> int:
    import requests

    return requests.put(upload["url"], data=data, headers=upload["headers"], timeout=10).status_code
