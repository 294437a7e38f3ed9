"""A long recording converted by the converter in parallel segments, end to end on the moto server: the segments
read their own byte ranges of the original through its presigned link, and the MP3 people download is the one a
single encoder writes. A join that fails is converted again in one pass, and a repeated delivery changes nothing."""

from __future__ import annotations

import io
import logging

import pytest

import chalicelib.audio.segments as segments
from chalicelib.audio.convert import convert_to_mp3
from chalicelib.audio.mp3_tags import tag_size
from tests.integration.test_mp3_file import download
from tests.unit.test_segments import make_music


@pytest.fixture
def parallel(monkeypatch):
    """Three encoders from 5 seconds up: a 20-second upload (under the 4 MiB body limit) takes the parallel path."""
    monkeypatch.setenv("CLOUDSOUND_CONVERT_SEGMENTS", "3")
    monkeypatch.setenv("CLOUDSOUND_PARALLEL_FROM_SECONDS", "5")


def audio_of(mp3: bytes) -> bytes:
    return mp3[tag_size(mp3) :]


def serial_encode(path, reservoir: bool) -> tuple[object, bytes]:
    out = io.BytesIO()
    result = convert_to_mp3(str(path), out.write, reservoir=reservoir)
    return result, result.head + out.getvalue()


def test_a_long_recording_is_encoded_in_segments_and_is_the_single_encoders_mp3(api, alice, parallel, tmp_path, caplog):
    wav = make_music(tmp_path / "set.wav", 20.3)
    recording = api.upload(alice["token"], wav.read_bytes(), name="set.wav")
    with caplog.at_level(logging.INFO, logger="cloudsound"):
        events = api.convert_pending()

    ready = api.get(f"/recordings/{recording['id']}", alice["token"]).json_body
    serial, serial_mp3 = serial_encode(wav, reservoir=False)
    assert ready["status"] == "ready"
    assert audio_of(download(api, recording["id"], alice["token"])) == serial_mp3  # Info frame and every frame
    assert ready["duration"] == serial.duration == 20.3
    assert ready["loudness"] == {
        "integrated": serial.loudness.integrated,
        "range": serial.loudness.range,
        "true_peak": serial.loudness.true_peak,
    }
    assert api.get(f"/recordings/{recording['id']}/peaks", alice["token"]).json_body["peaks"] == serial.peaks
    assert '"segments":3' in caplog.text

    for event in events:  # S3 and SQS deliver at least once: a repeat is a duplicate, and changes nothing
        api.client.lambda_.invoke("convert", event)
    assert api.get(f"/recordings/{recording['id']}", alice["token"]).json_body == ready
    assert audio_of(download(api, recording["id"], alice["token"])) == serial_mp3


def test_a_join_that_fails_is_converted_again_in_one_pass(api, alice, parallel, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(segments, "helper_command", lambda *args: ["sh", "-c", "echo 'bad luck' >&2; exit 1"])
    wav = make_music(tmp_path / "set.wav", 12.0)
    recording = api.upload(alice["token"], wav.read_bytes(), name="set.wav")
    with caplog.at_level(logging.INFO, logger="cloudsound"):
        api.convert_pending()

    ready = api.get(f"/recordings/{recording['id']}", alice["token"]).json_body
    assert ready["status"] == "ready" and ready["duration"] == 12.0
    assert audio_of(download(api, recording["id"], alice["token"])) == serial_encode(wav, reservoir=True)[1]
    assert "converting in one pass" in caplog.text and '"segments":1' in caplog.text
