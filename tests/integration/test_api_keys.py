"""API keys: a read key reads everything its owner may and changes nothing, on every route; a revoked key is refused
at once; the last key that can write stays; tokens from before keys keep working and become the key
`registration`."""

from __future__ import annotations

import json

import pytest

from chalicelib import wiring
from chalicelib.users import hash_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_key(client, token: str, expect: int = 201, **body) -> dict:
    response = client.http.post(
        "/me/keys", body=json.dumps(body), headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert response.status_code == expect, response.body
    return response.json_body


def keys_of(client, token: str) -> list[dict]:
    response = client.http.get("/me/keys", headers=bearer(token))
    assert response.status_code == 200, response.body
    return response.json_body["items"]


def test_registration_gives_the_first_key_and_a_key_is_shown_once(client, alice):
    [registration] = keys_of(client, alice["token"])
    assert registration["name"] == "registration" and registration["scope"] == "write"

    made = make_key(client, alice["token"], name="ci", scope="read", expires_in=3600)

    assert set(made) == {"id", "name", "scope", "created_at", "expires_at", "last_used_at", "token"}
    assert made["scope"] == "read" and made["expires_at"] > made["created_at"]
    listed = keys_of(client, alice["token"])
    assert [key["name"] for key in listed] == ["registration", "ci"]
    assert made["token"] not in json.dumps(listed) and all("token" not in key for key in listed)
    stored = json.dumps(wiring.user_store()._table.scan()["Items"], default=str)
    assert made["token"] not in stored and hash_token(made["token"]) in stored


def test_a_read_key_reads_a_private_recording_and_is_refused_every_write(client, api, alice, make_audio):
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    private = api.upload(alice["token"], wav, name="secret.wav&visibility=private")
    reader = make_key(client, alice["token"], name="reader", scope="read")["token"]

    assert client.http.get(f"/recordings/{private['id']}", headers=bearer(reader)).status_code == 200
    assert private["id"] in client.http.get(f"/recordings?owner={alice['id']}", headers=bearer(reader)).body.decode()
    assert client.http.get("/me", headers=bearer(reader)).json_body["id"] == alice["id"]
    json_headers = {**bearer(reader), "Content-Type": "application/json"}
    writes = [
        ("post", "/recordings", json.dumps({"name": "x.wav", "size": 10}), json_headers),
        ("post", "/recordings", wav, {**bearer(reader), "Content-Type": "audio/wav"}),
        ("patch", f"/recordings/{private['id']}", json.dumps({"name": "y"}), json_headers),
        ("delete", f"/recordings/{private['id']}", None, bearer(reader)),
        ("post", f"/recordings/{private['id']}/upload", json.dumps({"size": 10}), json_headers),
        ("post", "/me/keys", json.dumps({"name": "escalate", "scope": "write"}), json_headers),
        ("delete", f"/me/keys/{keys_of(client, alice['token'])[0]['id']}", None, bearer(reader)),
        (
            "post",
            "/me/webhooks",
            json.dumps({"url": "https://example.com/h", "events": ["recording.ready"]}),
            json_headers,
        ),
        ("delete", "/me", None, bearer(reader)),
        ("post", "/post", wav, {**bearer(reader), "Content-Type": "audio/wav"}),
        ("post", "/api/audio/create", json.dumps({"filetype": "song", "name": "n"}), json_headers),
        ("put", f"/api/audio/{private['kind']}/{private['id']}", json.dumps({"name": "z"}), json_headers),
        ("delete", f"/api/audio/{private['kind']}/{private['id']}", None, bearer(reader)),
    ]
    for method, path, body, headers in writes:
        options = {"headers": headers, **({"body": body} if body is not None else {})}
        response = getattr(client.http, method)(path, **options)
        assert response.status_code == 403, (method, path, response.body)
        assert response.json_body["error"]["code"] == "insufficient_scope", (method, path)

    still = client.http.get(f"/recordings/{private['id']}", headers=bearer(alice["token"])).json_body
    assert still["name"] == "secret.wav" and len(keys_of(client, alice["token"])) == 2


def test_a_read_key_is_refused_the_earlier_specs_form_uploads(client, api, alice, make_audio):
    reader = make_key(client, alice["token"], name="reader", scope="read")["token"]
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    boundary = "b0undary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="user_token"\r\n\r\n{reader}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="id_user"\r\n\r\n{alice["id"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_wav"; filename="a.wav"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + wav
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.http.post(
        "/api/upload_audiorecord", body=form, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )

    assert response.status_code == 403 and response.json_body["error"]["code"] == "insufficient_scope"


def test_a_revoked_key_is_refused_at_once_and_the_last_write_key_stays(client, alice):
    writer = make_key(client, alice["token"], name="deploy", scope="write")
    reader = make_key(client, alice["token"], name="reader", scope="read")
    [registration] = [key for key in keys_of(client, alice["token"]) if key["name"] == "registration"]

    assert client.http.delete(f"/me/keys/{registration['id']}", headers=bearer(writer["token"])).status_code == 204
    assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 401
    assert client.http.delete(f"/me/keys/{reader['id']}", headers=bearer(writer["token"])).status_code == 204
    assert client.http.get("/me", headers=bearer(reader["token"])).status_code == 401

    last = client.http.delete(f"/me/keys/{writer['id']}", headers=bearer(writer["token"]))
    assert last.status_code == 409 and last.json_body["error"]["code"] == "last_write_key"
    assert client.http.get("/me", headers=bearer(writer["token"])).status_code == 200
    assert client.http.delete("/me/keys/nosuchkey", headers=bearer(writer["token"])).status_code == 404


def test_another_users_key_cannot_be_seen_or_revoked(client, alice, bob):
    [alices] = keys_of(client, alice["token"])

    assert client.http.delete(f"/me/keys/{alices['id']}", headers=bearer(bob["token"])).status_code == 404
    assert alices["id"] not in json.dumps(keys_of(client, bob["token"]))
    assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 200


def test_an_expired_key_is_refused(client, alice, monkeypatch):
    made = make_key(client, alice["token"], name="brief", scope="read", expires_in=60)
    assert client.http.get("/me", headers=bearer(made["token"])).status_code == 200

    store = wiring.user_store()
    monkeypatch.setattr(store, "_clock", lambda: __import__("time").time() + 61)
    assert client.http.get("/me", headers=bearer(made["token"])).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, alice, monkeypatch):
    store = wiring.user_store()
    now = [1_900_000_000.0]
    monkeypatch.setattr(store, "_clock", lambda: now[0])
    writes = []
    original = store._table.update_item
    monkeypatch.setattr(store._table, "update_item", lambda **kw: writes.append(kw) or original(**kw))

    for _ in range(3):
        assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 200
    now[0] += 61
    client.http.get("/me", headers=bearer(alice["token"]))

    assert len(writes) == 2
    [key] = keys_of(client, alice["token"])
    assert key["last_used_at"].startswith("2030-03-17T17:47")


def test_a_token_from_before_keys_keeps_working_and_becomes_the_registration_key(client, alice):
    table = wiring.user_store()._table
    token_hash = hash_token(alice["token"])
    user_item = table.get_item(Key={"pk": f"user#{alice['id']}"})["Item"]
    table.put_item(
        Item={
            "pk": f"user#{alice['id']}",
            "id": alice["id"],
            "name": "alice",
            "created_at": user_item["created_at"],
            "token_hash": token_hash,
        }
    )
    table.put_item(
        Item={
            "pk": f"token#{token_hash}",
            "token_hash": token_hash,
            "user_id": alice["id"],
            "name": "alice",
            "created_at": user_item["created_at"],
        }
    )

    assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 200
    [legacy] = keys_of(client, alice["token"])
    assert legacy["name"] == "registration" and legacy["scope"] == "write"
    other = make_key(client, alice["token"], name="new", scope="write")
    assert [key["id"] for key in keys_of(client, alice["token"])][0] == legacy["id"]
    assert client.http.delete(f"/me/keys/{legacy['id']}", headers=bearer(other["token"])).status_code == 204
    assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"scope": "read"}, "name"),
        ({"name": "x"}, "scope"),
        ({"name": "x", "scope": "read", "expires_in": 0}, "expires_in"),
        ({"name": "\u202e", "scope": "read"}, "name"),
    ],
)
def test_a_key_that_does_not_fit_is_refused_naming_its_field(client, alice, body, field):
    answer = make_key(client, alice["token"], expect=422, **body)
    assert answer["error"]["field"] == field
