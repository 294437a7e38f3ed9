"""Uploading, listing, reading, downloading and deleting recordings through the API, on moto."""

from __future__ import annotations

import urllib.parse

import pytest
import requests

from chalicelib import aws
from tests.integration.conftest import object_keys


@pytest.fixture
def wav(make_audio):
    return make_audio("take1.wav", seconds=2, rate=22050, channels=2).read_bytes()


def multipart(field: str, filename: str, data: bytes, boundary: str = "XyZzY") -> tuple[str, bytes]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


@pytest.mark.parametrize(
    "content_type", ["audio/wav", "audio/x-wav", "application/octet-stream", "application/x-www-form-urlencoded", None]
)
def test_a_raw_wav_body_is_accepted_whatever_the_content_type(api, alice, stack, wav, content_type):
    recording = api.upload(alice["token"], wav, content_type=content_type)

    assert recording["status"] == "processing"
    assert recording["name"] == "take1.wav"
    assert recording["owner"] == alice["id"]
    assert recording["links"]["self"].endswith(f"/recordings/{recording['id']}")
    stored = aws.s3().get_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=f"originals/{recording['id']}")
    assert stored["Body"].read() == wav


def test_a_multipart_upload_takes_the_file_field_and_its_name(api, alice, stack, wav):
    wav_with_crlf = wav + b"\r\n\r\n--not-a-boundary\r\n"  # bytes that look like MIME must survive untouched
    content_type, body = multipart("file", "my take.wav", wav_with_crlf)

    recording = api.upload(alice["token"], body, name=None, content_type=content_type)

    assert recording["name"] == "my take"  # a file's name without its extension
    stored = aws.s3().get_object(Bucket=stack["CLOUDSOUND_BUCKET"], Key=f"originals/{recording['id']}")
    assert stored["Body"].read() == wav_with_crlf


def test_two_uploads_with_the_same_name_are_two_recordings(api, alice, wav):
    first = api.upload(alice["token"], wav)
    second = api.upload(alice["token"], wav)

    assert first["id"] != second["id"]
    names = [item["name"] for item in api.get(f"/recordings?owner={alice['id']}").json_body["items"]]
    assert names == ["take1.wav", "take1.wav"]


def test_only_a_file_name_from_an_upload_loses_its_directories(api, alice, wav):
    content_type, body = multipart("file", "C:\\Users\\me\\takes/take 2.wav", wav)

    from_a_file = api.upload(alice["token"], body, name=None, content_type=content_type)
    typed = api.upload(alice["token"], wav, name=urllib.parse.quote("AC/DC - Back in Black"))

    assert from_a_file["name"] == "take 2"
    assert typed["name"] == "AC/DC - Back in Black"
    assert typed["owner_name"] == "alice"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
def test_uploading_needs_a_valid_token(client, stack, wav, headers):
    response = client.http.post("/recordings?name=a.wav", headers={**headers, "Content-Type": "audio/wav"}, body=wav)

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthorized"
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


def test_text_called_wav_is_refused_and_leaves_nothing(api, alice, stack):
    error = api.upload(alice["token"], b"just some text\n" * 100, name="x.wav", expect=415)

    assert error["error"]["code"] == "unsupported_media_type"
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []
    assert api.get(f"/recordings?owner={alice['id']}").json_body["items"] == []


def test_an_empty_body_is_a_400(api, alice):
    error = api.upload(alice["token"], b"", expect=400)

    assert "empty" in error["error"]["message"]


def test_a_chunked_body_that_arrived_empty_gets_a_clear_error(client, alice):
    response = client.http.post(
        "/recordings", body=b"", headers={"Authorization": f"Bearer {alice['token']}", "Transfer-Encoding": "chunked"}
    )

    assert response.status_code == 411
    assert "Content-Length" in response.json_body["error"]["message"]


def test_a_body_over_the_limit_is_413_and_points_at_the_presigned_flow(api, alice, stack, wav, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_MAX_BODY_BYTES", str(len(wav) - 1))

    error = api.upload(alice["token"], wav, expect=413)

    assert "presigned" in error["error"]["message"]
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


def test_conversion_makes_it_ready_with_its_metadata(api, alice, wav):
    recording = api.upload(alice["token"], wav)

    api.convert_pending()

    ready = api.get(f"/recordings/{recording['id']}").json_body
    assert ready["status"] == "ready"
    assert ready["duration"] == pytest.approx(2.0, abs=0.01)
    assert ready["original"] == {
        "content_type": "audio/wav",
        "size": len(wav),
        "format": "wav",
        "codec": "pcm_s16le",
        "sample_rate": 22050,
        "channels": 2,
        "bits_per_sample": 16,
        "duration": ready["duration"],
        "filename": None,
        "tags": {},
        "cover": False,
    }  # sent as the body, the file had no name
    assert "cover" not in ready["links"]  # no picture: no link a page would ask in vain
    assert ready["mp3"]["bitrate"] == 128000
    assert set(ready["loudness"]) == {"integrated", "range", "true_peak"}
    assert ready["mp3"]["size"] > 0


def test_audio_is_409_until_ready_then_a_presigned_redirect(api, alice, wav):
    recording = api.upload(alice["token"], wav)

    early = api.get(f"/recordings/{recording['id']}/audio")
    assert early.status_code == 409
    assert early.json_body["status"] == "processing"
    assert int(early.headers["Retry-After"]) > 0

    api.convert_pending()
    response = api.get(f"/recordings/{recording['id']}/audio")

    assert response.status_code == 302
    link = urllib.parse.urlparse(response.headers["Location"])
    query = urllib.parse.parse_qs(link.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert 0 < int(query["X-Amz-Expires"][0]) <= 3600
    assert 'filename="take1.mp3"' in query["response-content-disposition"][0]
    download = requests.get(response.headers["Location"], timeout=10)
    assert download.status_code == 200
    assert download.content[:3] == b"ID3"
    assert download.headers["Content-Type"] == "audio/mpeg"


def test_the_original_comes_back_byte_exact(api, alice, wav):
    recording = api.upload(alice["token"], wav)

    response = api.get(f"/recordings/{recording['id']}/audio?format=original")

    assert response.status_code == 302
    assert requests.get(response.headers["Location"], timeout=10).content == wav


def test_an_unknown_audio_format_is_400(api, alice, wav):
    recording = api.upload(alice["token"], wav)

    assert api.get(f"/recordings/{recording['id']}/audio?format=flac").status_code == 400


def test_unknown_recordings_are_404(api):
    for path in (
        "/recordings/0d9f8e1c-0000-4000-8000-000000000000",
        "/recordings/..%2F..",
        "/recordings/0d9f8e1c-0000-4000-8000-000000000000/audio",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json_body["error"]["code"] == "not_found"


def test_the_owner_deletes_every_object_and_the_metadata(api, alice, stack, wav):
    recording = api.upload(alice["token"], wav)
    api.convert_pending()
    assert len(object_keys(stack["CLOUDSOUND_BUCKET"])) == 3  # original, MP3, peaks

    response = api.delete(f"/recordings/{recording['id']}", alice["token"])

    assert response.status_code == 204
    assert api.get(f"/recordings/{recording['id']}").status_code == 404
    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []


def test_nobody_else_deletes(api, alice, bob, stack, wav):
    recording = api.upload(alice["token"], wav)

    by_bob = api.delete(f"/recordings/{recording['id']}", bob["token"])
    anonymous = api.delete(f"/recordings/{recording['id']}")

    assert by_bob.status_code == 403 and by_bob.json_body["error"]["code"] == "forbidden"
    assert anonymous.status_code == 401
    assert api.get(f"/recordings/{recording['id']}").status_code == 200
    assert len(object_keys(stack["CLOUDSOUND_BUCKET"])) == 1


def test_errors_from_the_router_share_the_error_shape(client):
    response = client.http.put("/recordings")

    assert response.status_code == 405
    assert response.json_body["error"]["code"] == "method_not_allowed"


def test_no_request_scans_a_table(api, alice, bob, wav):
    operations: list[str] = []
    aws.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: operations.append(model.name))
    from chalicelib.config import settings

    aws.table(settings().recordings_table).meta.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: operations.append(model.name)
    )

    recording = api.upload(alice["token"], wav)
    api.convert_pending()
    for path in (
        "/recordings",
        f"/recordings?owner={alice['id']}",
        "/recordings?name=take1.wav",
        "/recordings?kind=other",
        "/recordings?min_duration=1&max_duration=3&status=ready",
        f"/recordings/{recording['id']}",
        f"/recordings/{recording['id']}/audio",
        f"/users/{bob['id']}",
    ):
        assert api.get(path, alice["token"]).status_code in (200, 302)
    api.delete(f"/recordings/{recording['id']}", alice["token"])

    assert {"Query", "GetItem"} <= set(operations)
    assert "Scan" not in operations


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(api, alice, wav, monkeypatch):
    recording = api.upload(alice["token"], wav)
    from chalicelib.recording_service import RecordingService

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(RecordingService, "visible", broken)
    response = api.get(f"/recordings/{recording['id']}")

    assert response.status_code == 500
    assert response.json_body["error"]["code"] == "internal_error"
    assert b"secret internals" not in response.body and b"Traceback" not in response.body


def test_peaks_are_served_once_converted(api, alice, bob, wav):
    recording = api.upload(alice["token"], wav)
    assert api.get(f"/recordings/{recording['id']}/peaks").status_code == 409

    api.convert_pending()
    response = api.get(f"/recordings/{recording['id']}/peaks")

    assert response.status_code == 200
    body = response.json_body
    assert body["duration"] == pytest.approx(2.0, abs=0.01)
    assert 0 < len(body["peaks"]) <= 1000 and all(0 <= p <= 1 for p in body["peaks"])
    assert max(body["peaks"]) > 0.05


def test_peaks_of_a_private_recording_are_the_owners(api, alice, bob, wav):
    recording = api.upload(alice["token"], wav, name="p.wav&visibility=private")
    api.convert_pending()

    assert api.get(f"/recordings/{recording['id']}/peaks", alice["token"]).status_code == 200
    assert api.get(f"/recordings/{recording['id']}/peaks", bob["token"]).status_code == 404
    assert api.get(f"/recordings/{recording['id']}/peaks").status_code == 404


def test_the_audio_link_as_json_and_whose_token_it_is(api, client, alice, wav):
    recording = api.upload(alice["token"], wav)
    api.convert_pending()

    linked = client.http.get(f"/recordings/{recording['id']}/audio", headers={"Accept": "application/json"})
    me = client.http.get("/me", headers={"Authorization": f"Bearer {alice['token']}"})

    assert linked.status_code == 200 and "X-Amz-Signature" in linked.json_body["url"]
    assert me.json_body == {
        "id": alice["id"],
        "name": "alice",
        "created_at": alice["created_at"],
        "usage": {"bytes": len(wav) + recording_mp3_size(api, recording), "seconds": 2.0},
        "reserved": {"bytes": 0},
        "quota": {"bytes": 1024**3, "seconds": 24 * 3600},
    }
    assert client.http.get("/me").status_code == 401


def test_the_web_page_is_served_at_the_root(client):
    page = client.http.get("/")

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"<title>Cloud Sound</title>" in page.body
    assert b"<script src=" not in page.body and b'<link rel="stylesheet"' not in page.body  # nothing external


def recording_mp3_size(api, recording) -> int:
    return api.get(f"/recordings/{recording['id']}").json_body["mp3"]["size"]


def test_a_slot_without_a_name_is_named_by_its_files_name_without_the_extension(api, alice, client):
    headers = {"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"}
    named = client.http.post("/recordings", body='{"size": 10, "filename": "dir/Pilot 2.wav"}', headers=headers)
    typed = client.http.post("/recordings", body='{"size": 10, "filename": "x.wav", "name": "Typed"}', headers=headers)
    bare = client.http.post("/recordings", body='{"size": 10}', headers=headers)

    assert (named.status_code, typed.status_code, bare.status_code) == (201, 201, 201)
    assert (named.json_body["name"], typed.json_body["name"], bare.json_body["name"]) == (
        "Pilot 2",
        "Typed",
        "recording",
    )
    assert named.json_body["original"]["filename"] == "Pilot 2.wav"
