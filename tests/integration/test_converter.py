"""The `convert` SQS handler driven with S3 events inside SQS events, as Lambda delivers them."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from chalicelib import aws, wiring
from tests.integration.conftest import converted_keys, mp3_key_of, object_keys


def s3_event(bucket: str, *keys: str, encode: bool = True) -> str:
    records = [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": bucket},
                "object": {"key": urllib.parse.quote(key, safe="") if encode else key, "size": 1},
            },
        }
        for key in keys
    ]
    return json.dumps({"Records": records})


def invoke(client, *bodies: str) -> None:
    event = client.events.generate_sqs_event(message_bodies=list(bodies), queue_name="cloudsound-conversions")
    client.lambda_.invoke("convert", event)


@pytest.fixture
def wav(make_audio):
    return make_audio(seconds=1.5, rate=16000).read_bytes()


def test_the_notification_s3_sends_is_converted_and_its_test_event_ignored(api, alice, wav):
    recording = api.upload(alice["token"], wav)

    delivered = api.convert_pending()

    bodies = [json.loads(event["Records"][0]["body"]) for event in delivered]
    assert any(body.get("Event") == "s3:TestEvent" for body in bodies)
    assert api.get(f"/recordings/{recording['id']}").json_body["status"] == "ready"


def test_a_duplicate_delivery_changes_nothing(client, api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    api.convert_pending()
    before = api.get(f"/recordings/{recording['id']}").json_body
    mp3_before = aws.s3().head_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=mp3_key_of(recording["id"]))

    invoke(client, s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}"))
    invoke(client, s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}", encode=False))

    assert api.get(f"/recordings/{recording['id']}").json_body == before
    mp3_after = aws.s3().head_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=mp3_key_of(recording["id"]))
    assert mp3_after["LastModified"] == mp3_before["LastModified"]
    assert sorted(object_keys(stack["CLOUDSOUND_BUCKET"])) == converted_keys(recording["id"])


def test_the_etag_and_size_s3_sends_spare_reading_the_original_and_one_head_checks_it_is_current(
    api, alice, stack, wav
):
    recording = api.upload(alice["token"], wav)
    calls = []
    ranges = []
    aws.s3().meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    aws.s3().meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: ranges.append(params.get("headers", {}).get("Range"))
    )

    api.convert_pending()

    # ffmpeg reads the original itself; the converter reads only the headers it sniffs, a few KiB at a time
    assert 1 <= calls.count("GetObject") == len(ranges) <= 4
    assert all(byte_range and _span(byte_range) <= 64 * 1024 for byte_range in ranges)
    assert calls.count("HeadObject") == 1  # at the final write: is the converted file still the current one?
    done = api.get(f"/recordings/{recording['id']}").json_body
    assert done["status"] == "ready" and done["original"]["size"] == len(wav)
    mp3 = aws.s3().head_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=mp3_key_of(recording["id"]))
    assert done["mp3"]["size"] == mp3["ContentLength"]


def test_every_record_of_a_batch_is_converted(client, api, alice, stack, wav):
    first = api.upload(alice["token"], wav)
    second = api.upload(alice["token"], wav)
    bucket = stack["CLOUDSOUND_BUCKET"]

    invoke(
        client,
        s3_event(bucket, f"originals/{first['id']}", f"originals/{second['id']}"),
        json.dumps({"Event": "s3:TestEvent", "Bucket": bucket}),
    )

    for recording in (first, second):
        assert api.get(f"/recordings/{recording['id']}").json_body["status"] == "ready"


def test_undecodable_audio_fails_readably_and_keeps_the_original(api, alice, stack, wav):
    # a WAV header (so the upload check passes) followed by bytes that are not what the header says
    broken = wav[:20] + b"\x34\x12" + wav[22:44] + b"garbage" * 100  # a codec tag nobody knows
    recording = api.upload(alice["token"], broken, name="broken.wav", expect=202)

    api.convert_pending()

    failed = api.get(f"/recordings/{recording['id']}", alice["token"]).json_body
    assert failed["status"] == "failed"
    assert failed["error"].startswith("ffmpeg could not convert this file")
    assert "http" not in failed["error"]  # the presigned source link never leaks
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == [f"originals/{recording['id']}"]
    audio = api.get(f"/recordings/{recording['id']}/audio", alice["token"])
    assert audio.status_code == 409 and audio.json_body["status"] == "failed"
    assert api.get(f"/recordings/{recording['id']}/audio?format=original", alice["token"]).status_code == 302
    assert api.get(f"/recordings/{recording['id']}/audio?format=original").status_code == 404  # the owner's alone


def test_a_truncated_wav_reports_the_duration_it_really_has(api, alice, make_audio):
    whole = make_audio(seconds=4, rate=8000).read_bytes()
    recording = api.upload(alice["token"], whole[: 44 + 8000 * 2 * 3])  # 3 of the 4 seconds its header claims

    api.convert_pending()

    assert api.get(f"/recordings/{recording['id']}").json_body["duration"] == pytest.approx(3.0, abs=0.01)


def test_an_event_for_a_deleted_recording_recreates_nothing(client, api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    api.delete(f"/recordings/{recording['id']}", alice["token"])

    api.convert_pending()
    invoke(client, s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}"))

    assert api.get(f"/recordings/{recording['id']}").status_code == 404
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


def test_an_object_deleted_before_its_event_arrives_is_ignored(api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    aws.s3().delete_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=f"originals/{recording['id']}")

    api.convert_pending()

    assert api.get(f"/recordings/{recording['id']}").json_body["status"] == "processing"
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


def test_keys_outside_originals_and_other_buckets_are_ignored(stack):
    converter = wiring.converter()

    outcomes = converter.handle(
        [s3_event(stack["CLOUDSOUND_BUCKET"], "mp3/x.mp3"), s3_event("someone-elses-bucket", "originals/x"), "not json"]
    )

    assert outcomes == ["ignored", "ignored"]


def test_an_infrastructure_failure_raises_so_sqs_retries(api, alice, stack, wav, monkeypatch):
    recording = api.upload(alice["token"], wav)
    converter = wiring.converter()

    def unavailable(*args, **kwargs):
        raise ConnectionError("S3 is unavailable")

    monkeypatch.setattr(converter.storage, "writer", unavailable)

    with pytest.raises(ConnectionError):
        converter.handle([s3_event(stack["CLOUDSOUND_BUCKET"], f"originals/{recording['id']}")])
    assert api.get(f"/recordings/{recording['id']}").json_body["status"] == "processing"


def test_a_conversion_logs_one_structured_line(api, alice, wav, caplog):
    recording = api.upload(alice["token"], wav)

    with caplog.at_level("INFO", logger="cloudsound"):
        api.convert_pending()

    lines = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name.startswith("cloudsound") and r.getMessage().startswith('{"event":"conversion"')
    ]
    [line] = [line for line in lines if line["recording_id"] == recording["id"]]
    assert line["outcome"] == "ready"
    assert line["audio_seconds"] == pytest.approx(1.5, abs=0.01)
    assert line["original_bytes"] == len(wav) and line["mp3_bytes"] > 0


def _span(byte_range: str) -> int:
    start, end = byte_range.removeprefix("bytes=").split("-")
    return int(end) - int(start) + 1
