"""An upload link's file is hostile input: only sniffed audio is decoded, by its own demuxer; what is not audio fails
for its owner and is deleted; quotas are reserved up front; names cannot lie about what a download is."""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator

import pytest
import requests

from chalicelib import wiring
from chalicelib.recording_items import to_item
from chalicelib.users import User
from tests.integration.conftest import object_keys


class Listener:
    """An internal service a hostile file would make the converter fetch: it records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                listener.requests.append(f"{self.path} {self.headers.get('User-Agent')}")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.server.shutdown()


def slot(api, token: str, size: int, **fields) -> dict:
    response = api.client.http.post(
        "/recordings",
        body=json.dumps({"name": "take.wav", "size": size, **fields}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.json_body
    return response.json_body


def send_through_slot(api, token: str, data: bytes) -> dict:
    created = slot(api, token, len(data))
    upload = created["upload"]
    assert requests.put(upload["url"], data=data, headers=upload["headers"], timeout=30).status_code == 200
    return created


def playlists(url: str, wav_header: bytes) -> dict[str, bytes]:
    segment = f"{url}/internal-secret.wav"
    return {
        "hls": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{segment}\n#EXT-X-ENDLIST\n".encode(),
        "live hls": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{segment}\n".encode(),
        "hls with a key": (
            f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{url}/key"\n#EXTINF:2,\n{segment}\n#EXT-X-ENDLIST\n'
        ).encode(),
        "concat list": f"ffconcat version 1.0\nfile '{segment}'\n".encode(),
        "playlist behind a wav header": wav_header + f"#EXTM3U\n#EXTINF:2,\n{segment}\n#EXT-X-ENDLIST\n".encode(),
    }


@pytest.mark.parametrize("kind", ["hls", "live hls", "hls with a key", "concat list", "playlist behind a wav header"])
def test_a_file_naming_other_resources_is_never_followed(api, alice, bob, stack, listener, make_audio, kind):
    header = make_audio(seconds=0.01, rate=8000).read_bytes()[:44]
    created = send_through_slot(api, alice["token"], playlists(listener.url, header)[kind])

    finished = threading.Thread(target=api.convert_pending, daemon=True)
    finished.start()
    finished.join(timeout=120)  # a live playlist held a worker for hours before

    assert not finished.is_alive()
    assert listener.requests == []
    recording = api.get(f"/recordings/{created['id']}", alice["token"]).json_body
    if kind == "playlist behind a wav header":  # sniffed as a WAV and decoded as one: its text is only noise
        assert recording["status"] in ("ready", "failed") and recording["original"]["format"] == "wav"
        return
    assert recording["status"] == "failed" and recording["error"].startswith("not an audio file we can read")
    assert f"originals/{created['id']}" not in object_keys(stack["CLOUDSOUND_BUCKET"])  # its bytes are gone
    assert api.get(f"/recordings/{created['id']}", bob["token"]).status_code == 404
    assert api.get(f"/recordings/{created['id']}/audio?format=original", alice["token"]).status_code == 404


def test_what_is_not_audio_is_failed_privately_hosted_nowhere_and_counted_nowhere(api, alice, bob, stack):
    junk = bytes(range(256)) * 4096  # 1 MiB named like an archive part
    created = send_through_slot(api, alice["token"], junk)
    api.convert_pending()

    own = api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"]
    assert [item["status"] for item in own] == ["failed"]
    for viewer in (bob["token"], None):
        assert api.get("/recordings", viewer).json_body["items"] == []
        assert api.get(f"/recordings?owner={alice['id']}", viewer).json_body["items"] == []
        assert api.get(f"/recordings/{created['id']}/audio?format=original", viewer).status_code == 404
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []
    me = api.get("/me", alice["token"]).json_body
    assert me["usage"]["bytes"] == 0 and me["reserved"] == {"bytes": 0}


def test_a_slot_reserves_its_size_and_the_quota_refuses_slots_past_it(api, alice, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_QUOTA_BYTES", str(2_000_000))
    sizes = [1_500_000] * 10

    answers = [
        api.client.http.post(
            "/recordings",
            body=json.dumps({"name": f"movie.part{n}.rar", "size": size}),
            headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
        )
        for n, size in enumerate(sizes)
    ]

    assert [answer.status_code for answer in answers] == [201] + [413] * 9
    assert answers[1].json_body["error"]["code"] == "quota_exceeded"
    assert api.get("/me", alice["token"]).json_body["reserved"] == {"bytes": 1_500_000}
    assert api.delete(f"/recordings/{answers[0].json_body['id']}", alice["token"]).status_code == 204
    assert api.get("/me", alice["token"]).json_body["reserved"] == {"bytes": 0}


@pytest.mark.parametrize(
    "body, status",
    [
        ({"name": "x"}, 422),
        ({"size": 0}, 422),
        ({"size": "12"}, 422),
        ({"size": True}, 422),
        ({"size": 6 * 1024**3}, 413),
    ],
)
def test_a_slot_must_declare_a_size_one_link_takes(api, alice, body, status):
    response = api.client.http.post(
        "/recordings",
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )

    assert response.status_code == status and response.json_body["error"]["field"] == "size"


def test_uploads_racing_for_the_last_free_bytes_are_refused_up_front_and_the_rest_all_convert(
    api, alice, make_audio, monkeypatch
):
    wav = make_audio(seconds=18.5, rate=8000).read_bytes()  # about 300 KB
    monkeypatch.setenv("CLOUDSOUND_QUOTA_BYTES", str(2_000_000))
    service = wiring.recording_service()
    owner = User(id=alice["id"], name="alice", created_at=alice["created_at"])

    def upload(n: int) -> str:
        try:
            return service.upload(owner, wav, filename=f"take{n}.wav").id
        except Exception as error:  # noqa: BLE001 (the refusal is what the test counts)
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(upload, range(20)))

    accepted = [outcome for outcome in outcomes if outcome != "QuotaExceeded"]
    assert len(accepted) == 2_000_000 // len(wav)  # exactly those that fit
    api.convert_pending()
    statuses = [api.get(f"/recordings/{recording_id}", alice["token"]).json_body["status"] for recording_id in accepted]
    assert statuses == ["ready"] * len(accepted)


def test_a_file_whose_tags_are_larger_than_a_record_still_converts_and_fits(api, alice, make_audio):
    from mutagen.flac import FLAC

    path = make_audio("tagged.flac", seconds=1, codec="flac")
    flac = FLAC(path)
    for n in range(70):
        flac[f"comment{n}"] = "😀" * 2000
    flac.save()
    recording = api.upload(alice["token"], path.read_bytes(), name="tagged.flac", content_type="audio/flac")

    api.convert_pending()

    ready = wiring.recording_store().get(recording["id"])
    assert ready.status == "ready"
    assert len(json.dumps(to_item(ready), default=str, ensure_ascii=False).encode()) < 64 * 1024  # of 400 KB
    assert 0 < len(ready.original["tags"]) < 70


@pytest.mark.parametrize(
    "name, original, mp3",
    [
        ("statement.html", "statement.wav", "statement.mp3"),
        ("setup.exe", "setup.wav", "setup.mp3"),
        ("Pilot 2", "Pilot 2.wav", "Pilot 2.mp3"),
        ("Mix v1.2", "Mix v1.2.wav", "Mix v1.2.mp3"),
    ],
)
def test_downloads_are_named_with_the_sniffed_format_s_extension(api, alice, make_audio, name, original, mp3):
    wav = make_audio(seconds=0.5, rate=8000).read_bytes()
    created = api.client.http.post(
        f"/recordings?name={urllib.parse.quote(name)}",
        body=wav,
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "audio/wav"},
    ).json_body
    api.convert_pending()

    for audio_format, expected, content_type in (("original", original, "audio/wav"), ("mp3", mp3, "audio/mpeg")):
        location = api.get(f"/recordings/{created['id']}/audio?format={audio_format}").headers["Location"]
        fetched = requests.get(location, timeout=10)
        disposition = fetched.headers["Content-Disposition"]
        assert f"filename*=UTF-8''{urllib.parse.quote(expected)}" in disposition
        assert fetched.headers["Content-Type"] == content_type


@pytest.mark.parametrize("text", ["evil\u202egnp.exe", "zero\u200bwidth", "a\u2066b"])
def test_format_characters_in_names_and_fields_are_refused(api, alice, make_audio, text):
    wav = make_audio(seconds=0.2, rate=8000).read_bytes()
    upload = api.client.http.post(
        f"/recordings?name={urllib.parse.quote(text)}",
        body=wav,
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "audio/wav"},
    )
    registered = api.client.http.post(
        "/users", body=json.dumps({"name": text}), headers={"Content-Type": "application/json"}
    )
    created = api.upload(alice["token"], wav)
    edited = api.client.http.patch(
        f"/recordings/{created['id']}",
        body=json.dumps({"name": text}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )

    for response in (upload, registered, edited):
        assert response.status_code == 422 and response.json_body["error"]["field"] == "name"


def test_an_emoji_sequence_keeps_its_joiner(api, alice):
    edited = api.client.http.post(
        "/users", body=json.dumps({"name": "👩\u200d💻 Ada"}), headers={"Content-Type": "application/json"}
    )

    assert edited.status_code == 201 and edited.json_body["name"] == "👩\u200d💻 Ada"


def test_registrations_from_one_address_are_limited_with_retry_after(api, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_REGISTRATIONS_PER_WINDOW", "3")
    answers = [
        api.client.http.post(path, body=json.dumps({"name": f"u{n}"}), headers={"Content-Type": "application/json"})
        for n, path in enumerate(["/users", "/user", "/api/registration", "/users", "/user"])
    ]

    assert [answer.status_code for answer in answers] == [201, 200, 200, 429, 429]
    refused = answers[3]
    assert refused.json_body["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600


def test_anonymous_uploads_are_limited_but_a_user_s_own_are_bounded_by_the_quota(api, alice, make_audio, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_ANONYMOUS_UPLOADS_PER_WINDOW", "2")
    wav = make_audio(seconds=0.2, rate=8000).read_bytes()

    anonymous = [
        api.client.http.post("/post?name=a.wav", body=wav, headers={"Content-Type": "audio/wav"}).status_code
        for _ in range(3)
    ]
    signed_in = [api.upload(alice["token"], wav)["status"] for _ in range(3)]

    assert anonymous == [200, 200, 429]
    assert signed_in == ["processing"] * 3


def test_the_converter_reads_only_the_headers_of_a_large_file_it_sniffs(stack, make_audio):
    from chalicelib import aws
    from chalicelib.audio.sniff import identify_stream

    wav = make_audio(seconds=60, rate=44100, channels=2).read_bytes()  # 10 MB
    s3 = aws.s3()
    put = s3.put_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key="originals/big", Body=wav)
    reader = wiring.audio_storage().open_original("big", put["ETag"].strip('"'), len(wav))

    kind = identify_stream(reader, len(wav))

    assert kind.format == "wav" and kind.demuxer == "wav"
    assert reader.raw.requests <= 4 and isinstance(reader, io.BufferedReader)
