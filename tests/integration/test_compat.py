"""Every earlier spec's documented calls, exactly as their clients make them (seeds/000, 001, 003, 004)."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest


@pytest.fixture
def wav(make_audio):
    return make_audio("myfile.wav", seconds=2, rate=8000).read_bytes()


def form(fields: dict[str, str], files: dict[str, tuple[str, bytes]], boundary: str = "b0undary") -> tuple[str, bytes]:
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, (filename, data) in files.items():
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: audio/wav\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return f"multipart/form-data; boundary={boundary}", body + f"--{boundary}--\r\n".encode()


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


CURL = {"Accept": "*/*"}


class TestAudioServer:
    """seeds/000: curl -X POST --data-binary @myfile.wav http://localhost/post, then list, download, info."""

    def upload(self, client, data, query="?name=myfile.wav"):
        response = client.http.post(
            f"/post{query}", body=data, headers={**CURL, "Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 200, response.body
        return response.json_body

    def test_post_then_list_download_and_info_as_documented(self, client, api, wav):
        posted = self.upload(client, wav)
        api.convert_pending()

        listed = client.http.get("/list?maxduration=300", headers=CURL).json_body
        assert [item["id"] for item in listed] == [posted["id"]]
        assert client.http.get("/list?maxduration=1", headers=CURL).json_body == []
        assert len(client.http.get("/list?minduration=1&maxduration=2", headers=CURL).json_body) == 1

        download = client.http.get("/download?name=myfile.wav", headers=CURL)
        assert download.status_code == 200 and download.body == wav
        assert download.headers["Content-Type"] == "audio/wav"

        info = client.http.get("/info?name=myfile.wav", headers=CURL).json_body
        assert info["name"] == "myfile.wav" and info["duration"] == pytest.approx(2.0, abs=0.01)

    def test_a_name_selects_the_newest_and_info_names_the_others(self, client, api, wav, make_audio):
        older = self.upload(client, wav)
        newer_wav = make_audio("other.wav", seconds=1, rate=8000).read_bytes()
        newer = self.upload(client, newer_wav)

        assert client.http.get("/download?name=myfile.wav", headers=CURL).body == newer_wav
        info = client.http.get("/info?name=myfile.wav", headers=CURL).json_body
        assert info["id"] == newer["id"] and info["other_ids"] == [older["id"]]

    def test_a_post_without_a_name_gets_one_and_errors_are_json(self, client, wav):
        posted = self.upload(client, wav, query="")

        assert posted["name"] == "recording.wav"
        assert client.http.get("/info?name=nothing.wav").status_code == 404
        assert client.http.get("/download").status_code == 400
        assert client.http.get("/list?maxduration=abc").json_body["error"]["field"] == "max_duration"
        text = client.http.post(
            "/post?name=x.wav", body=b"hello\n" * 20, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert text.status_code == 415

    def test_a_download_without_binary_accept_is_a_redirect(self, client, wav):
        self.upload(client, wav)

        response = client.http.get("/download?name=myfile.wav", headers={"Accept": "application/json"})

        assert response.status_code == 302 and "X-Amz-Signature" in response.headers["Location"]


class TestAudioFileServer:
    """seeds/001: POST /api/audio/create, GET/PUT/DELETE /api/audio/<kind>/<id>, GET /api/audio/<kind>."""

    def create(self, client, body, status=200):
        response = client.http.post(
            "/api/audio/create", body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == status, response.body
        return response.json_body

    def test_the_documented_song_body_creates_a_song(self, client):
        created = self.create(
            client,
            {
                "filetype": "song",
                "duration": 123456,
                "name": "lionand hare",
                "host": "joe rogan",
                "participants": ["dan peterson", "olsp"],
            },
        )

        assert (created["audioFileType"], created["name"], created["duration"]) == ("song", "lionand hare", 123456)
        assert "host" not in created  # a song has no host: the field is dropped, not an error
        assert client.http.get(f"/api/audio/song/{created['id']}").json_body["id"] == created["id"]
        assert [item["id"] for item in client.http.get("/api/audio/song").json_body] == [created["id"]]

    def test_put_a_file_then_metadata_then_delete(self, client, api, wav):
        created = self.create(
            client, {"audioFileType": "podcast", "name": "ep", "host": "Ann", "participants": ["Bo"], "duration": 2}
        )
        content_type, body = form({}, {"audio": ("ep.wav", wav)})

        put = client.http.put(f"/api/audio/podcast/{created['id']}", body=body, headers={"Content-Type": content_type})
        assert put.status_code == 200 and put.json_body["status"] == "processing"
        api.convert_pending()
        ready = client.http.get(f"/api/audio/podcast/{created['id']}").json_body
        assert ready["status"] == "ready" and ready["duration"] == pytest.approx(2.0, abs=0.01)

        renamed = client.http.put(
            f"/api/audio/podcast/{created['id']}",
            body=json.dumps({"name": "Episode"}),
            headers={"Content-Type": "application/json"},
        )
        assert renamed.status_code == 200 and renamed.json_body["name"] == "Episode"

        assert client.http.delete(f"/api/audio/podcast/{created['id']}").status_code == 200
        assert client.http.get(f"/api/audio/podcast/{created['id']}").status_code == 404

    def test_an_audiobook(self, client):
        created = self.create(
            client,
            {
                "audioFileType": "audiobook",
                "title": "Dune",
                "author": "F. Herbert",
                "narrator": "S. Brick",
                "duration": 60,
            },
        )

        assert (created["title"], created["author"], created["narrator"]) == ("Dune", "F. Herbert", "S. Brick")
        assert client.http.get(f"/api/audio/audiobook/{created['id']}").status_code == 200

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"filetype": "video", "name": "x"}, "audioFileType"),
            ({"name": "x"}, "audioFileType"),
            ({"filetype": "podcast", "name": "x"}, "host"),
            ({"filetype": "song", "name": "x" * 101}, "name"),
            ({"filetype": "song", "name": "x", "duration": -5}, "duration"),
            ({"filetype": "song", "name": "x", "duration": "long"}, "duration"),
            ({"filetype": "song", "name": "x", "uploaded_time": "2001-01-01T00:00:00"}, "uploaded_time"),
            (
                {"filetype": "podcast", "name": "x", "host": "h", "participants": [str(i) for i in range(11)]},
                "participants",
            ),
            ({"filetype": "audiobook", "title": "t", "author": "a"}, "narrator"),
        ],
    )
    def test_invalid_bodies_are_400(self, client, body, field):
        error = self.create(client, body, status=400)

        assert error["error"]["field"] == field

    def test_unknown_kind_and_ids_are_400_and_404(self, client):
        created = self.create(client, {"filetype": "song", "name": "s"})

        assert client.http.get("/api/audio/video").status_code == 400
        assert client.http.get(f"/api/audio/podcast/{created['id']}").status_code == 404
        assert client.http.get(f"/api/audio/song/{uuid.uuid4()}").status_code == 404
        assert client.http.delete(f"/api/audio/song/{uuid.uuid4()}").status_code == 404


class TestPigWav:
    """seeds/003: create a user by name, upload a WAV with user id + token, download from /record?id=&user=."""

    def register(self, client, name="testuser"):
        response = client.http.post(
            "/user", body=json.dumps({"name": name}), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200
        return response.json_body

    def upload(self, client, user_id, token, data, name="test.wav"):
        content_type, body = form({"user_id": str(user_id), "token": token}, {"file": (name, data)})
        return client.http.post("/record", body=body, headers={"Content-Type": content_type})

    def test_the_documented_flow(self, client, api, wav, monkeypatch):
        monkeypatch.setenv("CLOUDSOUND_COMPAT_WAIT_SECONDS", "0")
        user = self.register(client)
        assert isinstance(user["id"], int) and uuid.UUID(user["token"])

        uploaded = self.upload(client, user["id"], user["token"], wav)
        assert uploaded.status_code == 200
        url = uploaded.json_body["url"]
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        assert parts.path == "/record" and query["user"] == [str(user["id"])] and uuid.UUID(query["id"][0])

        early = client.http.get(path_of(url), headers=CURL)
        assert early.status_code == 409 and early.json_body["status"] == "processing" and early.headers["Retry-After"]
        api.convert_pending()
        mp3 = client.http.get(path_of(url), headers=CURL)
        assert mp3.status_code == 200 and mp3.body[:3] == b"ID3"
        assert mp3.headers["Content-Type"] == "audio/mpeg" and "test.mp3" in mp3.headers["Content-Disposition"]

    def test_wrong_token_wrong_user_unknown_record(self, client, api, wav):
        alice, bob = self.register(client, "alice"), self.register(client, "bob")

        assert self.upload(client, alice["id"], str(uuid.uuid4()), wav).status_code == 401
        assert self.upload(client, alice["id"], bob["token"], wav).status_code == 403
        assert self.upload(client, "abc", alice["token"], wav).status_code == 400
        assert self.upload(client, alice["id"], alice["token"], b"not audio" * 10).status_code == 415
        url = self.upload(client, alice["id"], alice["token"], wav).json_body["url"]
        record_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["id"][0]
        api.convert_pending()

        assert client.http.get(f"/record?id={uuid.uuid4()}&user={alice['id']}").status_code == 404
        assert client.http.get(f"/record?id={record_id}&user={bob['id']}").status_code == 404
        assert client.http.get(f"/record?id=not-a-uuid&user={alice['id']}").status_code == 400
        assert client.http.get(f"/record?id={record_id}").status_code == 400

    def test_only_wav(self, client, make_audio):
        user = self.register(client)
        flac = make_audio("a.flac", codec="flac").read_bytes()

        assert self.upload(client, user["id"], user["token"], flac, name="a.flac").status_code == 415


class TestTask2:
    """seeds/004: /api/registration/, /api/upload_audiorecord/ (form), /api/download?id_record=&id_user=."""

    def test_the_documented_flow(self, client, api, wav):
        registered = client.http.post(
            "/api/registration/", body=json.dumps({"username": "Bob"}), headers={"Content-Type": "application/json"}
        )
        assert registered.status_code == 200
        user = registered.json_body
        assert set(user) == {"id_user", "user_token"}

        content_type, body = form(
            {"user_token": user["user_token"], "id_user": str(user["id_user"])}, {"file_wav": ("sample-6s.wav", wav)}
        )
        uploaded = client.http.post("/api/upload_audiorecord/", body=body, headers={"Content-Type": content_type})
        assert uploaded.status_code == 200
        url = uploaded.json_body["URL for download"]
        assert urllib.parse.urlsplit(url).path == "/api/download"
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["id_user"] == [str(user["id_user"])]

        api.convert_pending()
        mp3 = client.http.get(path_of(url), headers=CURL)
        assert mp3.status_code == 200 and mp3.body[:3] == b"ID3"
        assert "attachment" in mp3.headers["Content-Disposition"]

    def test_a_missing_token_is_401(self, client, wav):
        content_type, body = form({"id_user": "1"}, {"file_wav": ("a.wav", wav)})

        response = client.http.post("/api/upload_audiorecord/", body=body, headers={"Content-Type": content_type})

        assert response.status_code == 401


class TestCloudSoundUserApi:
    """seeds/002: its user API takes a numeric id (unique) and answers 200/404 for GET /user/{id}."""

    def test_register_by_numeric_id_and_check_it(self, client):
        created = client.http.post("/user", body=json.dumps({"id": 7}), headers={"Content-Type": "application/json"})
        taken = client.http.post("/user", body=json.dumps({"id": 7}), headers={"Content-Type": "application/json"})

        assert created.status_code == 200 and created.json_body["id"] == 7 and created.json_body["token"]
        assert taken.status_code == 409
        assert client.http.get("/user/7").status_code == 200
        assert client.http.get("/user/8").status_code == 404
