"""The earlier specs' calls over real HTTP, as their users type them (curl where they used curl)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import requests

from tests.e2e.conftest import wait_for_status


def curl(*args: str) -> bytes:
    return subprocess.run(["curl", "-s", "--fail-with-body", *args], capture_output=True, check=True, timeout=60).stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_audio_server_calls_with_curl(local_stack, make_audio, tmp_path):
    base = local_stack.url
    wav = make_audio("myfile.wav", seconds=2, rate=16000)

    posted = json.loads(curl("-X", "POST", "--data-binary", f"@{wav}", f"{base}/post?name=myfile.wav"))
    wait_for_status(posted["links"]["self"], {"ready"})

    assert curl(f"{base}/download?name=myfile.wav") == wav.read_bytes()
    assert json.loads(curl(f"{base}/info?name=myfile.wav"))["duration"] == pytest.approx(2.0, abs=0.01)
    assert [item["id"] for item in json.loads(curl(f"{base}/list?maxduration=300"))] == [posted["id"]]


def test_task2_download_link_works_right_after_the_upload(local_stack, make_audio):
    base = local_stack.url
    user = requests.post(f"{base}/api/registration/", json={"username": "Bob"}, timeout=10).json()
    wav = make_audio("sample.wav", seconds=3, rate=22050).read_bytes()

    uploaded = requests.post(
        f"{base}/api/upload_audiorecord/",
        timeout=30,
        data={"user_token": user["user_token"], "id_user": user["id_user"]},
        files={"file_wav": ("sample.wav", wav, "audio/wav")},
    )
    mp3 = requests.get(uploaded.json()["URL for download"], timeout=60)  # waits for the conversion under way

    assert mp3.status_code == 200 and mp3.content[:3] == b"ID3"


def test_pigwav_flow_over_http(local_stack, make_audio):
    base = local_stack.url
    user = requests.post(f"{base}/user", json={"name": "testuser"}, timeout=10).json()
    wav = make_audio("test.wav", seconds=1, rate=8000).read_bytes()

    uploaded = requests.post(
        f"{base}/record",
        data={"user_id": user["id"], "token": user["token"]},
        files={"file": ("test.wav", wav)},
        timeout=30,
    ).json()
    mp3 = requests.get(uploaded["url"], timeout=60)

    assert uploaded["url"].startswith(f"{base}/record?id=")
    assert mp3.status_code == 200 and mp3.content[:3] == b"ID3"
