"""A corpus of odd and hostile uploads, generated here: each gets its documented status or outcome, none a 5xx,
none leaves an orphan object or record."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from collections.abc import Callable

import pytest
import requests

from tests.conftest import generate_audio
from tests.integration.conftest import object_keys


def wav(tmp: Path, **options) -> bytes:
    return generate_audio(tmp / "x.wav", **{"seconds": 1.0, **options}).read_bytes()


def riff_not_wave(tmp: Path) -> bytes:
    return b"RIFF" + (36).to_bytes(4, "little") + b"AVI LIST" + bytes(32)


def header_longer_than_data(tmp: Path) -> bytes:  # claims 2 s, holds 1
    data = bytearray(wav(tmp, seconds=1.0, rate=8000))
    data[40:44] = (8000 * 2 * 2).to_bytes(4, "little")
    return bytes(data)


def header_shorter_than_data(tmp: Path) -> bytes:  # claims 0.5 s, holds 1: a reader trusting it stops early
    data = bytearray(wav(tmp, seconds=1.0, rate=8000))
    data[40:44] = (8000).to_bytes(4, "little")
    return bytes(data)


# name, body maker, expected HTTP status, expected final status (None: refused), expected duration
CORPUS: list[tuple[str, Callable[[Path], bytes], int, str | None, float | None]] = [
    *[
        (f"{bits}-bit int", lambda t, c=codec: wav(t, codec=c), 202, "ready", 1.0)
        for bits, codec in ((8, "pcm_u8"), (16, "pcm_s16le"), (24, "pcm_s24le"), (32, "pcm_s32le"))
    ],
    *[
        (f"{bits}-bit float", lambda t, c=codec: wav(t, codec=c), 202, "ready", 1.0)
        for bits, codec in ((32, "pcm_f32le"), (64, "pcm_f64le"))
    ],
    *[(f"{n} channels", lambda t, n=n: wav(t, channels=n), 202, "ready", 1.0) for n in (1, 2, 3, 4, 6, 8)],
    *[
        (f"{r} Hz", lambda t, r=r: wav(t, rate=r), 202, "ready", 1.0)
        for r in (8000, 11025, 22050, 44100, 48000, 96000, 192000)
    ],
    ("extensible 24-bit 6ch", lambda t: wav(t, codec="pcm_s24le", channels=6), 202, "ready", 1.0),
    ("LIST and bext chunks", lambda t: wav(t, extra=("-metadata", "title=x", "-write_bext", "1")), 202, "ready", 1.0),
    ("header longer than its data", header_longer_than_data, 202, "ready", 1.0),
    ("header shorter than its data", header_shorter_than_data, 202, "ready", None),
    ("truncated", lambda t: wav(t, seconds=2.0, rate=8000)[: 44 + 8000 * 2], 202, "ready", 1.0),
    ("zero-length data chunk", lambda t: wav(t, seconds=0.0), 415, None, None),
    ("RIFF that is not WAVE", riff_not_wave, 415, None, None),
    ("random bytes", lambda t: os.urandom(4096), 415, None, None),
    ("text named .wav", lambda t: b"this is a shopping list\n" * 40, 415, None, None),
    ("empty body", lambda t: b"", 400, None, None),
]


@pytest.mark.parametrize("name, make, status, final, duration", CORPUS, ids=[case[0] for case in CORPUS])
def test_each_upload_gets_its_documented_outcome(api, alice, stack, tmp_path, name, make, status, final, duration):
    body = make(tmp_path)

    response = api.client.http.post(
        "/recordings?name=corpus.wav",
        body=body,
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/octet-stream"},
    )

    assert response.status_code == status, response.body
    assert "error" in response.json_body if status >= 400 else True
    if final is None:
        assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []
        assert api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"] == []
        return
    api.convert_pending()
    recording = api.get(f"/recordings/{response.json_body['id']}").json_body
    assert recording["status"] == final, recording.get("error")
    if duration is not None:
        assert recording["duration"] == pytest.approx(duration, abs=0.01)
    assert len(object_keys(stack["CLOUDSOUND_BUCKET"])) == 3


def test_a_huge_declared_length_with_a_tiny_body_is_413(api, alice, stack):
    response = api.client.http.post(
        "/recordings",
        body=b"RIFF",
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Length": str(8 * 1024**3)},
    )

    assert response.status_code == 413
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


@pytest.mark.parametrize(
    "given",
    [
        "../../etc/passwd.wav",
        'say "hi".wav',
        "песня №1.wav",
        "C:\\Users\\me\\take.wav",
        "AC/DC - Back in Black",
        "Live 12/03/2025",
        "<script>alert(1)</script>.wav",
    ],
)
def test_names_are_kept_as_typed_and_downloads_stay_safe(api, alice, tmp_path, given):
    recording = api.upload(alice["token"], wav(tmp_path), name=urllib.parse.quote(given, safe=""))
    api.convert_pending()
    stored = given

    assert recording["name"] == stored
    link = api.get(f"/recordings/{recording['id']}/audio").headers["Location"]
    download = requests.get(link, timeout=10)
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "X-Injected" not in download.headers
    assert disposition.startswith('attachment; filename="')
    assert urllib.parse.quote(stored.rsplit(".", 1)[0] + ".mp3", safe="") in disposition


@pytest.mark.parametrize("given", ["line\r\nX-Injected: yes.wav", "tab\there.wav", "bell\x07.wav", "del\x7f.wav"])
def test_control_characters_in_a_name_are_422(api, alice, tmp_path, given):
    error = api.upload(alice["token"], wav(tmp_path), name=urllib.parse.quote(given, safe=""), expect=422)

    assert error["error"]["field"] == "name" and "control" in error["error"]["message"]


def test_over_long_names_are_422(api, alice, tmp_path):
    error = api.upload(alice["token"], wav(tmp_path), name="n" * 300 + ".wav", expect=422)

    assert error["error"]["field"] == "name"
