"""A newcomer's journey over real HTTP against the local stack: register, upload as curl does, wait, download the
presigned links for real, list, delete. Then the stack stops cleanly on SIGTERM."""

from __future__ import annotations

import io
import subprocess

import mutagen.mp3
import pytest
import requests

from chalicelib.audio.ffmpeg import ffmpeg_binary
from tests.e2e.conftest import start_stack, stop_stack, wait_for_status


def decoded_seconds(mp3: bytes) -> float:
    """Decode the MP3 with ffmpeg and count the samples: the duration a listener hears."""
    pcm = subprocess.run(
        [
            ffmpeg_binary(),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            "pipe:0",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "44100",
            "pipe:1",
        ],
        input=mp3,
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 2 / 44100


def test_the_whole_journey_over_http(local_stack, make_audio):
    base = local_stack.url
    wav = make_audio("take1.wav", seconds=3, rate=44100, channels=2).read_bytes()

    user = requests.post(f"{base}/users", json={"name": "alice"}, timeout=10)
    assert user.status_code == 201
    token = user.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    other = requests.post(f"{base}/users", json={"name": "mallory"}, timeout=10).json()

    # exactly what `curl -X POST --data-binary @take1.wav` sends: a form-urlencoded content type
    upload = requests.post(
        f"{base}/recordings?name=take1.wav",
        data=wav,
        timeout=30,
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert upload.status_code == 202, upload.text
    recording = upload.json()
    assert recording["status"] == "processing"

    ready = wait_for_status(recording["links"]["self"], {"ready", "failed"})
    assert ready["status"] == "ready", ready
    assert ready["duration"] == pytest.approx(3.0, abs=0.01)
    assert (ready["original"]["sample_rate"], ready["original"]["channels"]) == (44100, 2)

    redirect = requests.get(recording["links"]["audio"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    mp3 = requests.get(recording["links"]["audio"], timeout=30)  # follows the presigned link, like curl -L
    assert mp3.status_code == 200
    assert 'filename="take1.mp3"' in mp3.headers["Content-Disposition"]
    assert mutagen.mp3.MP3(io.BytesIO(mp3.content)).info.sample_rate == 44100
    assert decoded_seconds(mp3.content) == pytest.approx(3.0, abs=0.1)

    original = requests.get(recording["links"]["original"], timeout=30)
    assert original.content == wav

    listed = requests.get(f"{base}/recordings", params={"max_duration": 300, "min_duration": 1}, timeout=10).json()
    assert [item["id"] for item in listed["items"]] == [recording["id"]]

    forbidden = requests.delete(
        recording["links"]["self"], timeout=10, headers={"Authorization": f"Bearer {other['token']}"}
    )
    assert forbidden.status_code == 403
    assert requests.delete(recording["links"]["self"], timeout=10).status_code == 401
    deleted = requests.delete(recording["links"]["self"], headers=auth, timeout=10)
    assert deleted.status_code == 204
    assert requests.get(recording["links"]["self"], timeout=10).status_code == 404
    assert requests.get(redirect.headers["Location"], timeout=10).status_code in (403, 404)  # gone from S3


def test_a_multipart_upload_and_a_failed_conversion(local_stack, make_audio):
    base = local_stack.url
    token = requests.post(f"{base}/users", json={}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    wav = make_audio("song.wav", seconds=1, rate=8000).read_bytes()

    form = requests.post(f"{base}/recordings", files={"file": ("song.wav", wav, "audio/wav")}, headers=auth, timeout=30)
    broken = wav[:20] + b"\x34\x12" + wav[22:44] + b"noise" * 200
    failing = requests.post(f"{base}/recordings?name=broken.wav", data=broken, headers=auth, timeout=30)

    assert form.status_code == 202 and form.json()["name"] == "song"  # the file's name without its extension
    assert wait_for_status(form.json()["links"]["self"], {"ready", "failed"})["status"] == "ready"
    failed = wait_for_status(failing.json()["links"]["self"], {"ready", "failed"}, headers=auth)
    assert failed["status"] == "failed" and failed["error"]
    assert requests.get(failed["links"]["original"], headers=auth, timeout=10).content == broken
    assert requests.get(failed["links"]["self"], timeout=10).status_code == 404  # a failure is its owner's alone


def test_text_and_chunked_uploads_get_clear_errors(local_stack):
    base = local_stack.url
    token = requests.post(f"{base}/users", json={}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    text = requests.post(f"{base}/recordings?name=x.wav", data=b"hello\n" * 50, headers=auth, timeout=10)
    chunked = requests.post(
        f"{base}/recordings?name=x.wav", data=iter([b"RIFF", b"....WAVE"]), headers=auth, timeout=10
    )

    assert text.status_code == 415 and text.json()["error"]["code"] == "unsupported_media_type"
    assert chunked.status_code == 411 and "Content-Length" in chunked.json()["error"]["message"]


def test_sigterm_stops_every_process_of_the_stack(tmp_path):
    stack = start_stack(tmp_path / "stack.log")
    assert requests.get(f"{stack.url}/health", timeout=5).status_code == 200

    assert stop_stack(stack) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{stack.url}/health", timeout=2)
    leftovers = subprocess.run(["pgrep", "-s", str(stack.process.pid)], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
