"""The MP3 people download is a finished file: read with mutagen and decoded with ffmpeg, as a player would.

Tags from the recording (and the original's own, cover included) that follow an edit; a length exact to the sample;
EBU R128 loudness on the recording and ReplayGain in the file; S3's side of it (the head uploaded last, the tag
rewritten without fetching the audio) on files past one multipart part.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import mutagen.id3
import mutagen.mp3
import pytest
import requests

from chalicelib import aws, wiring
from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.mp3_tags import tag_size
from chalicelib.object_writer import PART_BYTES, StreamingWriter
from tests.integration.test_recordings_api import multipart as multipart_body
from tests.conftest import generate_audio
from tests.integration.conftest import object_keys


def download(api, recording_id: str, token: str | None = None) -> bytes:
    response = api.get(f"/recordings/{recording_id}/audio", token)
    assert response.status_code == 302, response.body
    fetched = requests.get(response.headers["Location"], timeout=30)
    fetched.raise_for_status()
    return fetched.content


def patch(api, recording_id: str, token: str, body: dict) -> dict:
    response = api.client.http.patch(
        f"/recordings/{recording_id}",
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.body
    return response.json_body


def upload(api, token: str, data: bytes, query: str, content_type: str = "audio/wav") -> dict:
    response = api.client.http.post(
        f"/recordings?{query}", body=data, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}
    )
    assert response.status_code == 202, response.body
    return response.json_body


def tags_of(mp3: bytes) -> mutagen.id3.ID3:
    return mutagen.mp3.MP3(io.BytesIO(mp3)).tags


def text(tags: mutagen.id3.ID3, frame: str) -> list[str]:
    return [str(value) for value in tags[frame].text] if frame in tags else []


def decoded_samples(mp3: bytes, tmp_path: Path, channels: int) -> int:
    path = tmp_path / "decoded.mp3"
    path.write_bytes(mp3)
    pcm = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True, check=True
    ).stdout
    return len(pcm) // (2 * channels)


def test_a_song_is_named_tagged_measured_and_exact_in_length(api, alice, tmp_path):
    wav = generate_audio(tmp_path / "night.wav", seconds=3.7, rate=44100, channels=2).read_bytes()
    recording = upload(api, alice["token"], wav, "name=Night%20Drive&kind=song")
    api.convert_pending()

    ready = api.get(f"/recordings/{recording['id']}").json_body
    mp3 = download(api, recording["id"])

    assert ready["status"] == "ready" and ready["mp3"]["size"] == len(mp3)
    tags = tags_of(mp3)
    assert text(tags, "TIT2") == ["Night Drive"]
    assert text(tags, "TPE1") == ["alice"]  # no artist of its own: its owner
    assert text(tags, "TDRC") == [ready["created_at"][:10]]
    assert "TCON" not in tags  # a song has no genre unless its original said one
    info = mutagen.mp3.MP3(io.BytesIO(mp3)).info
    assert round(info.length * info.sample_rate) == round(3.7 * 44100)  # mutagen's length, to the sample
    assert info.length == ready["duration"]  # the same number, not a neighbour
    assert decoded_samples(mp3, tmp_path, 2) == round(3.7 * 44100)  # ffmpeg gives back the original's samples

    loudness = ready["loudness"]
    assert set(loudness) == {"integrated", "range", "true_peak"}
    gain = float(text(tags, "TXXX:REPLAYGAIN_TRACK_GAIN")[0].removesuffix(" dB"))
    assert gain == pytest.approx(-18 - loudness["integrated"], abs=0.01)
    assert float(text(tags, "TXXX:REPLAYGAIN_TRACK_PEAK")[0]) == pytest.approx(
        10 ** (loudness["true_peak"] / 20), rel=1e-4
    )


def test_a_podcasts_tags_follow_every_edit_within_the_patch(api, alice, tmp_path):
    wav = generate_audio(tmp_path / "ep.wav", seconds=2, rate=22050).read_bytes()
    recording = upload(api, alice["token"], wav, "name=Episode%201&kind=podcast&host=Ann&participants=Bob,Cy")
    api.convert_pending()
    first = download(api, recording["id"])
    tags = tags_of(first)
    assert (text(tags, "TIT2"), text(tags, "TPE1"), text(tags, "TCON")) == (["Episode 1"], ["Ann"], ["Podcast"])
    assert tags["TIPL"].people == [["host", "Ann"], ["participant", "Bob"], ["participant", "Cy"]]

    edited = patch(
        api, recording["id"], alice["token"], {"name": "Episode One", "host": "Dee", "participants": ["Eve"]}
    )

    mp3 = download(api, recording["id"])
    tags = tags_of(mp3)
    assert (text(tags, "TIT2"), text(tags, "TPE1")) == (["Episode One"], ["Dee"])
    assert tags["TIPL"].people == [["host", "Dee"], ["participant", "Eve"]]
    assert edited["mp3"]["size"] == len(mp3)
    # Only the tag changed: the audio after it is the same, byte for byte.
    assert mp3[tag_size(mp3[:10]) :] == first[tag_size(first[:10]) :]

    patch(api, recording["id"], alice["token"], {"visibility": "private"})  # nothing the tag says
    assert download(api, recording["id"], alice["token"]) == mp3


def test_an_audiobook_has_its_title_author_and_narrator(api, alice, tmp_path):
    wav = generate_audio(tmp_path / "ch1.wav", seconds=1.5).read_bytes()
    recording = upload(
        api, alice["token"], wav, "name=ch1&kind=audiobook&title=The%20Long%20Road&author=Ann%20Author&narrator=Ned"
    )
    api.convert_pending()

    tags = tags_of(download(api, recording["id"]))

    assert text(tags, "TIT2") == ["The Long Road"]
    assert text(tags, "TPE1") == ["Ann Author"]
    assert text(tags, "TCOM") == ["Ned"]
    assert text(tags, "TALB") == ["The Long Road"]
    assert text(tags, "TCON") == ["Audiobook"]
    assert ["narrator", "Ned"] in tags["TIPL"].people


def tagged_flac_with_cover(tmp_path: Path) -> tuple[bytes, bytes]:
    cover = tmp_path / "cover.jpg"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc=s=48x48", "-frames:v", "1", str(cover)],
        check=True,
    )
    plain = generate_audio(
        tmp_path / "plain.flac",
        seconds=2,
        channels=2,
        codec="flac",
        extra=(
            "-metadata",
            "title=Night Drive",
            "-metadata",
            "artist=The Originals",
            "-metadata",
            "album=Roads",
            "-metadata",
            "genre=Synthwave",
            "-metadata",
            "date=1999",
            "-metadata",
            "tracknumber=3",
        ),
    )
    flac = tmp_path / "covered.flac"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-i",
            str(plain),
            "-i",
            str(cover),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-metadata:s:v",
            "comment=Cover (front)",
            str(flac),
        ],
        check=True,
    )
    return flac.read_bytes(), cover.read_bytes()


def test_the_originals_tags_and_cover_are_carried_and_survive_a_rename(api, alice, tmp_path):
    flac, cover = tagged_flac_with_cover(tmp_path)
    response = api.client.http.post(
        "/recordings", body=flac, headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "audio/flac"}
    )
    assert response.status_code == 202, response.body
    recording = response.json_body
    api.convert_pending()

    assert recording["name"] == "recording"  # no name and no file name, until its own title is read
    ready = api.get(f"/recordings/{recording['id']}").json_body
    tags = tags_of(download(api, recording["id"]))
    assert ready["name"] == "Night Drive"  # the original's title names a recording nobody named
    assert ready["original"]["tags"]["album"] == ["Roads"]
    assert ready["original"]["cover"] is True  # a list shows the cover without asking each recording for one
    assert ready["links"]["cover"].endswith(f"/recordings/{recording['id']}/cover")
    assert text(tags, "TIT2") == ["Night Drive"]  # no name typed: the original's title
    assert text(tags, "TPE1") == ["The Originals"]
    assert (text(tags, "TALB"), text(tags, "TCON"), text(tags, "TDRC"), text(tags, "TRCK")) == (
        ["Roads"],
        ["Synthwave"],
        ["1999"],
        ["3"],
    )
    [picture] = tags.getall("APIC")
    assert (picture.data, picture.mime, picture.type) == (cover, "image/jpeg", 3)

    patch(api, recording["id"], alice["token"], {"name": "Night Drive (remaster)", "kind": "podcast", "host": "Ann"})

    tags = tags_of(download(api, recording["id"]))
    assert text(tags, "TIT2") == ["Night Drive (remaster)"]
    assert text(tags, "TPE1") == ["Ann"]  # the recording's own field over the original's
    assert text(tags, "TCON") == ["Podcast"]
    assert text(tags, "TALB") == ["Roads"]
    assert tags.getall("APIC")[0].data == cover


def test_an_edit_while_it_converts_is_in_the_tag_when_it_is_ready(api, alice, tmp_path, monkeypatch):
    wav = generate_audio(tmp_path / "a.wav", seconds=2).read_bytes()
    recording = upload(api, alice["token"], wav, "name=Before&kind=song")
    converter = wiring.converter()
    finish = converter._finish

    def renamed_first(*args, **kwargs):  # the owner renames it just before the conversion's last write
        patch(api, recording["id"], alice["token"], {"name": "After"})
        return finish(*args, **kwargs)

    monkeypatch.setattr(converter, "_finish", renamed_first)
    api.convert_pending()

    assert text(tags_of(download(api, recording["id"])), "TIT2") == ["After"]
    assert api.get(f"/recordings/{recording['id']}").json_body["mp3"]["size"] == len(download(api, recording["id"]))


def test_two_racing_renames_leave_the_tag_of_the_last(api, alice, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    wav = generate_audio(tmp_path / "a.wav", seconds=1).read_bytes()
    recording = upload(api, alice["token"], wav, "name=Start&kind=song")
    api.convert_pending()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: patch(api, recording["id"], alice["token"], {"name": f"Name {n}"}), range(12)))

    final = api.get(f"/recordings/{recording['id']}").json_body
    mp3 = download(api, recording["id"])
    assert text(tags_of(mp3), "TIT2") == [final["name"]]
    assert final["mp3"]["size"] == len(mp3)


# ---- S3's side: the first part uploaded last, and a tag replaced without fetching the audio -----------------------


def test_the_writer_uploads_the_head_last_as_part_one(stack):
    s3 = aws.s3()
    bucket = stack["CLOUDSOUND_BUCKET"]
    body = bytes(range(256)) * (5 * PART_BYTES // 256 // 2)  # 2.5 parts after the head
    writer = StreamingWriter(s3, bucket, "mp3/test/big.mp3", "audio/mpeg")
    for start in range(0, len(body), 1 << 20):
        writer.write(body[start : start + (1 << 20)])
    head = b"HEAD" * (PART_BYTES // 4)

    writer.close(first=head)

    stored = s3.get_object(Bucket=bucket, Key="mp3/test/big.mp3")
    assert stored["Body"].read() == head + body
    assert stored["ContentType"] == "audio/mpeg"


@pytest.mark.parametrize("rest_bytes", [1000, PART_BYTES + 1, 3 * PART_BYTES + 12345])
def test_a_prefix_is_replaced_and_the_rest_kept_byte_for_byte(stack, rest_bytes):
    s3 = aws.s3()
    bucket = stack["CLOUDSOUND_BUCKET"]
    rest = (b"0123456789abcdef" * (rest_bytes // 16 + 1))[:rest_bytes]
    s3.put_object(Bucket=bucket, Key="mp3/x/y.mp3", Body=b"OLD-TAG" + rest, ContentType="audio/mpeg")

    size = wiring.audio_storage().replace_prefix("mp3/x/y.mp3", len(b"OLD-TAG"), b"A NEW, LONGER TAG", "audio/mpeg")

    stored = s3.get_object(Bucket=bucket, Key="mp3/x/y.mp3")
    assert stored["Body"].read() == b"A NEW, LONGER TAG" + rest
    assert size == len(b"A NEW, LONGER TAG") + rest_bytes
    assert stored["ContentType"] == "audio/mpeg"
    assert wiring.audio_storage().replace_prefix("mp3/x/gone.mp3", 3, b"x", "audio/mpeg") is None


def test_a_tag_rewrite_racing_a_delete_leaves_nothing_behind(api, alice, tmp_path, stack, monkeypatch):
    wav = generate_audio(tmp_path / "a.wav", seconds=1).read_bytes()
    recording = upload(api, alice["token"], wav, "name=Doomed&kind=song")
    api.convert_pending()
    s3 = wiring.recording_service().tagger.storage._s3
    put = s3.put_object

    def deleted_first(**params):  # the owner deletes it after the tag was read, before the new file is written
        if params["Key"].startswith("mp3/"):
            assert api.delete(f"/recordings/{recording['id']}", alice["token"]).status_code == 204
        return put(**params)

    monkeypatch.setattr(s3, "put_object", deleted_first)
    response = api.client.http.patch(
        f"/recordings/{recording['id']}",
        body=json.dumps({"name": "Renamed"}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )

    assert response.status_code in (200, 404)
    assert [key for key in object_keys(stack["CLOUDSOUND_BUCKET"]) if recording["id"] in key] == []


def test_a_name_given_while_it_converts_is_not_replaced_by_the_originals_title(api, alice, tmp_path, monkeypatch):
    flac, _ = tagged_flac_with_cover(tmp_path)
    content_type, body = multipart_body("file", "night.flac", flac)
    response = api.client.http.post(
        "/recordings", body=body, headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": content_type}
    )
    assert response.status_code == 202, response.body
    recording = response.json_body
    assert recording["name"] == "night"
    converter = wiring.converter()
    finish = converter._finish

    def named_first(*args, **kwargs):
        patch(api, recording["id"], alice["token"], {"name": "My mix"})
        return finish(*args, **kwargs)

    monkeypatch.setattr(converter, "_finish", named_first)
    api.convert_pending()

    assert api.get(f"/recordings/{recording['id']}").json_body["name"] == "My mix"
    assert text(tags_of(download(api, recording["id"])), "TIT2") == ["My mix"]
