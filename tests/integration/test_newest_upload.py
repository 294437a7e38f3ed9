"""The newest upload wins: a conversion counts only if the file it read is still the recording's current one when it
finishes; an upload slot takes one file; a replacement replaces exactly the file it saw."""

from __future__ import annotations

import json

import pytest
import requests

from chalicelib import aws, wiring
from chalicelib.pipeline import Converter
from chalicelib.storage import AudioStorage, original_key
from tests.integration.conftest import converted_keys, object_keys


def put_file(client, recording_id: str, data: bytes) -> int:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.http.put(
        f"/api/audio/song/{recording_id}",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    ).status_code


def created_song(client) -> str:
    return client.http.post(
        "/api/audio/create",
        body=json.dumps({"audioFileType": "song", "name": "s"}),
        headers={"Content-Type": "application/json"},
    ).json_body["id"]


def event_for(bucket: str, recording_id: str) -> str:
    head = aws.s3().head_object(Bucket=bucket, Key=original_key(recording_id))
    return json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": bucket},
                        "object": {
                            "key": original_key(recording_id),
                            "eTag": head["ETag"].strip('"'),
                            "size": head["ContentLength"],
                        },
                    },
                }
            ]
        }
    )


def test_a_stale_event_for_a_replaced_file_changes_nothing(client, api, stack, make_audio):
    recording_id = created_song(client)
    first, second = (make_audio(f"{n}.wav", seconds=n, rate=8000).read_bytes() for n in (1, 2))
    assert put_file(client, recording_id, first) == 200
    stale = event_for(stack["CLOUDSOUND_BUCKET"], recording_id)
    assert put_file(client, recording_id, second) == 200
    api.convert_pending()

    assert wiring.converter().handle([stale]) == ["superseded"]

    ready = client.http.get(f"/api/audio/song/{recording_id}").json_body
    assert ready["status"] == "ready" and ready["duration"] == pytest.approx(2.0, abs=0.01)
    assert sorted(object_keys(stack["CLOUDSOUND_BUCKET"])) == converted_keys(recording_id)


class ReplacedWhileConverting(AudioStorage):
    """The file is replaced — and the replacement converted to the end — while the first conversion is under way."""

    def __init__(self, replace) -> None:
        super().__init__(aws.s3(), wiring.audio_storage().bucket)
        self.replace = replace

    def writer(self, key, content_type):
        """The MP3's writer: the replacement happens when it is about to complete (the encode is over, the head goes
        up last), or when a failed conversion aborts it."""
        writer = super().writer(key, content_type)
        close, abort, replace = writer.close, writer.abort, self.replace

        def replace_then_close(first: bytes = b"") -> None:
            replace()
            close(first)

        def abort_then_replace() -> None:
            abort()
            replace()

        writer.close, writer.abort = replace_then_close, abort_then_replace
        return writer


@pytest.mark.parametrize("first_is_audio", [True, False], ids=["first converts", "first cannot be decoded"])
def test_a_conversion_that_finishes_after_a_newer_upload_s_does_not_count(
    client, api, stack, make_audio, first_is_audio
):
    recording_id = created_song(client)
    second = make_audio("second.wav", seconds=2, rate=8000).read_bytes()
    first = make_audio("first.wav", seconds=3, rate=8000).read_bytes()
    if not first_is_audio:
        first = first[:20] + b"\x34\x12" + first[22:44] + b"garbage" * 100  # a WAV header, then no audio
    assert put_file(client, recording_id, first) == 200
    first_event = event_for(stack["CLOUDSOUND_BUCKET"], recording_id)  # delivered by hand, to the slow converter
    replaced: list[int] = []

    def replace_and_convert() -> None:
        if not replaced:
            replaced.append(put_file(client, recording_id, second))
            api.convert_pending()  # the second file's conversion runs to the end first

    slow = Converter(
        wiring.recording_store(), ReplacedWhileConverting(replace_and_convert), wiring.converter().conversion
    )
    assert slow.handle([first_event]) == ["superseded"]

    assert replaced == [200]
    final = client.http.get(f"/api/audio/song/{recording_id}").json_body
    assert final["status"] == "ready" and final["duration"] == pytest.approx(2.0, abs=0.01)
    assert sorted(object_keys(stack["CLOUDSOUND_BUCKET"])) == converted_keys(recording_id)  # no orphan output
    mp3 = requests.get(client.http.get(f"/recordings/{recording_id}/audio").headers["Location"], timeout=10)
    assert len(mp3.content) == final["mp3"]["size"]


def test_an_upload_slot_takes_one_file(client, api, alice, make_audio):
    first, second = (make_audio(f"{n}.wav", seconds=n, rate=8000).read_bytes() for n in (1, 2))
    second = second[: len(first)]  # a file of the declared size: only If-None-Match refuses it
    slot = client.http.post(
        "/recordings",
        body=json.dumps({"name": "once.wav", "size": len(first)}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    upload = slot["upload"]

    assert upload["headers"] == {"If-None-Match": "*"}
    assert requests.put(upload["url"], data=first, headers=upload["headers"], timeout=10).status_code == 200
    again = requests.put(upload["url"], data=second, headers=upload["headers"], timeout=10)
    api.convert_pending()

    assert again.status_code == 412
    ready = client.http.get(f"/recordings/{slot['id']}", headers={"Authorization": f"Bearer {alice['token']}"})
    assert ready.json_body["status"] == "ready" and ready.json_body["duration"] == pytest.approx(1.0, abs=0.01)


def test_a_replacement_of_a_file_that_changed_meanwhile_is_a_conflict(client, stack, make_audio, monkeypatch):
    recording_id = created_song(client)
    wav = make_audio("a.wav", seconds=1, rate=8000).read_bytes()
    assert put_file(client, recording_id, wav) == 200
    storage = wiring.audio_storage()
    seen = storage.original_etag(recording_id)
    aws.s3().put_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=original_key(recording_id), Body=wav + b"\0\0")
    monkeypatch.setattr(type(storage), "original_etag", lambda self, _: seen)  # what the replacement saw: stale

    response = client.http.put(f"/api/audio/song/{recording_id}", body=wav, headers={"Content-Type": "audio/wav"})

    assert response.status_code == 409 and response.json_body["error"]["code"] == "conflict"


def test_a_replacement_whose_write_lands_after_a_newer_one_converted_leaves_the_newer_one(
    client, api, stack, make_audio, monkeypatch
):
    recording_id = created_song(client)
    b_file, c_file = (make_audio(f"{n}.wav", seconds=n, rate=8000).read_bytes() for n in (1, 2))
    storage = wiring.audio_storage()
    put_original = type(storage).put_original
    overtaken: list[int] = []

    def put_then_be_overtaken(self, *args, **kwargs):
        etag = put_original(self, *args, **kwargs)
        if not overtaken:  # B is in S3; before its own write lands, C replaces it and converts to the end
            overtaken.append(put_original(self, recording_id, c_file, "audio/wav", replacing=etag))
            service = wiring.recording_service()
            owner = service.store.get(recording_id).owner
            service.store.modify(recording_id, lambda current: {"status": "processing"})
            assert wiring.converter().handle([event_for(stack["CLOUDSOUND_BUCKET"], recording_id)]) == ["ready"]
            assert owner == 0
            sqs = aws.sqs()  # C's event was that conversion; B's is stale: none is left to rescue a wrong state
            sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=stack["CLOUDSOUND_QUEUE"])["QueueUrl"])
        return etag

    monkeypatch.setattr(type(storage), "put_original", put_then_be_overtaken)
    assert put_file(client, recording_id, b_file) == 200
    monkeypatch.setattr(type(storage), "put_original", put_original)
    api.convert_pending()  # B's own event: superseded

    final = client.http.get(f"/api/audio/song/{recording_id}").json_body
    assert len(overtaken) == 1
    assert final["status"] == "ready" and final["duration"] == pytest.approx(2.0, abs=0.01)
    assert final["original"]["size"] == len(c_file)
