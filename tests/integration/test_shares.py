"""Share links for a private recording, from a client that has no token: made, used (metadata, audio, peaks, the
share's page), expired (the clock moved, not slept) and revoked, each dead everywhere at once; secrets are long,
random, and stored only hashed; deleting the recording deletes its shares."""

from __future__ import annotations

import hashlib
import json
import urllib.parse

import pytest

from chalicelib import aws, clock
from chalicelib.config import settings


def auth(user):
    return {"Authorization": f"Bearer {user['token']}"}


def make_share(client, user, recording_id, **body):
    return client.http.post(
        f"/recordings/{recording_id}/shares",
        body=json.dumps(body),
        headers={**auth(user), "Content-Type": "application/json"},
    )


@pytest.fixture
def private(api, alice, make_audio):
    wav = make_audio("secret.wav", seconds=1, rate=8000).read_bytes()
    recording = api.upload(alice["token"], wav, name="secret take&visibility=private")
    api.convert_pending()
    return recording


def secret_of(share):
    return urllib.parse.urlsplit(share["url"]).path.rsplit("/", 1)[1]


def reads(client, recording_id, secret):
    """What a stranger gets from each read that takes `?share=`."""
    query = f"share={urllib.parse.quote(secret)}"
    return {
        "recording": client.http.get(f"/recordings/{recording_id}?{query}").status_code,
        "audio": client.http.get(f"/recordings/{recording_id}/audio?{query}").status_code,
        "original": client.http.get(f"/recordings/{recording_id}/audio?format=original&{query}").status_code,
        "peaks": client.http.get(f"/recordings/{recording_id}/peaks?{query}").status_code,
        "page": client.http.get(f"/s/{secret}").status_code,
    }


def test_a_share_opens_a_private_recording_to_a_stranger_until_it_is_revoked(client, alice, private):
    assert client.http.get(f"/recordings/{private['id']}").status_code == 404
    made = make_share(client, alice, private["id"])
    assert made.status_code == 201, made.body
    share = made.json_body
    assert set(share) >= {"id", "url", "expires_at", "download", "created_at"}
    assert share["download"] is False and share["expires_at"] is None
    secret = secret_of(share)
    assert len(secret) >= 22  # ≥ 128 bits in URL-safe base64

    assert reads(client, private["id"], secret) == {
        "recording": 200,
        "audio": 302,
        "original": 403,
        "peaks": 200,
        "page": 200,
    }
    seen = client.http.get(f"/recordings/{private['id']}?share={secret}").json_body
    assert seen["name"] == "secret take" and seen["links"]["audio"].endswith(f"share={secret}")
    assert "original" not in seen["links"]
    peaks = client.http.get(f"/recordings/{private['id']}/peaks?share={secret}").json_body
    assert len(peaks["peaks"]) > 0

    listed = client.http.get(f"/recordings/{private['id']}/shares", headers=auth(alice)).json_body["items"]
    assert [item["id"] for item in listed] == [share["id"]] and "url" not in listed[0]

    revoked = client.http.delete(f"/recordings/{private['id']}/shares/{share['id']}", headers=auth(alice))
    assert revoked.status_code == 204
    assert set(reads(client, private["id"], secret).values()) == {404}
    assert (
        client.http.delete(f"/recordings/{private['id']}/shares/{share['id']}", headers=auth(alice)).status_code == 404
    )


def test_a_share_expires_everywhere_at_once(client, alice, private, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    share = make_share(client, alice, private["id"], expires_in=3600, download=True).json_body
    assert share["download"] is True and share["expires_at"] == clock.iso(int(start + 3600))
    secret = secret_of(share)
    assert reads(client, private["id"], secret) == {
        "recording": 200,
        "audio": 302,
        "original": 302,
        "peaks": 200,
        "page": 200,
    }

    monkeypatch.setattr(clock, "now", lambda: start + 3601)
    assert set(reads(client, private["id"], secret).values()) == {404}
    listed = client.http.get(f"/recordings/{private['id']}/shares", headers=auth(alice)).json_body["items"]
    assert listed[0]["expired"] is True


def test_tampered_secrets_and_another_recordings_share_open_nothing(client, api, alice, private, make_audio):
    secret = secret_of(make_share(client, alice, private["id"]).json_body)
    other = api.upload(
        alice["token"], make_audio("o.wav", seconds=1, rate=8000).read_bytes(), name="other&visibility=private"
    )
    api.convert_pending()
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for bad in (tampered, secret.upper(), secret + "x", "", "../../etc", "%00", "a" * 200):
        assert (
            client.http.get(f"/recordings/{private['id']}?share={urllib.parse.quote(bad)}").status_code in (400, 404)
            or bad == ""
        )
    assert client.http.get(f"/recordings/{other['id']}?share={secret}").status_code == 404
    assert client.http.get(f"/recordings/{other['id']}/audio?share={secret}").status_code == 404


def test_only_the_owner_makes_lists_and_revokes_shares(client, alice, bob, private):
    share = make_share(client, alice, private["id"]).json_body
    assert make_share(client, bob, private["id"]).status_code == 404
    assert (
        client.http.post(
            f"/recordings/{private['id']}/shares", body="{}", headers={"Content-Type": "application/json"}
        ).status_code
        == 401
    )
    assert client.http.get(f"/recordings/{private['id']}/shares", headers=auth(bob)).status_code == 404
    assert client.http.delete(f"/recordings/{private['id']}/shares/{share['id']}", headers=auth(bob)).status_code == 404
    assert make_share(client, alice, private["id"], expires_in=-5).status_code == 422
    assert make_share(client, alice, private["id"], download="yes").status_code == 422
    assert (
        client.http.post(
            f"/recordings/{private['id']}/shares", body="[", headers={**auth(alice), "Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_secrets_are_stored_hashed_and_deleting_the_recording_deletes_its_shares(client, alice, private):
    secret = secret_of(make_share(client, alice, private["id"]).json_body)
    table = aws.table(settings().users_table)
    digest = hashlib.sha256(secret.encode()).hexdigest()
    item = table.get_item(Key={"pk": f"share#{digest}"})["Item"]
    assert secret not in json.dumps(item, default=str)

    assert client.http.delete(f"/recordings/{private['id']}", headers=auth(alice)).status_code == 204
    assert "Item" not in table.get_item(Key={"pk": f"share#{digest}"})
    assert "Item" not in table.get_item(Key={"pk": f"shares#{private['id']}"})
    assert client.http.get(f"/s/{secret}").status_code == 404
