"""Presigned uploads, typed recordings (song, podcast, audiobook), edits, private recordings, expiring slots."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.integration.conftest import object_keys


def post_json(api, token, body):
    """A slot: it declares its file's size (any, where the test sends no file)."""
    return api.client.http.post(
        "/recordings",
        body=json.dumps({"size": 1024, **body}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def patch(api, recording_id, token, body):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return api.client.http.patch(f"/recordings/{recording_id}", body=json.dumps(body), headers=headers)


@pytest.fixture
def wav(make_audio):
    return make_audio("episode.wav", seconds=2, rate=16000).read_bytes()


def test_a_json_body_gives_a_presigned_upload_that_converts_like_a_direct_one(api, alice, wav):
    response = post_json(
        api,
        alice["token"],
        {"name": "episode-12.wav", "kind": "podcast", "host": "Ann", "participants": ["Bo", "Cy"], "size": len(wav)},
    )

    assert response.status_code == 201
    created = response.json_body
    assert created["status"] == "awaiting_upload"
    assert (created["kind"], created["host"], created["participants"]) == ("podcast", "Ann", ["Bo", "Cy"])
    upload = created["upload"]
    assert upload["method"] == "PUT" and upload["size"] == upload["max_bytes"] == len(wav)
    assert "X-Amz-Signature=" in upload["url"] and upload["expires_at"].endswith("Z")

    put = requests.put(upload["url"], data=wav, headers=upload["headers"], timeout=30)
    assert put.status_code == 200
    api.convert_pending()

    ready = api.get(f"/recordings/{created['id']}").json_body
    assert ready["status"] == "ready"
    assert ready["duration"] == pytest.approx(2.0, abs=0.01)
    assert ready["original"]["content_type"] == "audio/wav" and ready["original"]["size"] == len(wav)
    assert [item["id"] for item in api.get("/recordings?kind=podcast").json_body["items"]] == [created["id"]]


def test_an_audiobook_is_named_after_its_title(api, alice):
    created = post_json(
        api,
        alice["token"],
        {"kind": "audiobook", "title": "Dune", "author": "Frank Herbert", "narrator": "Scott Brick"},
    ).json_body

    assert (created["name"], created["title"], created["author"]) == ("Dune", "Dune", "Frank Herbert")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "podcast", "name": "p"}, "host"),
        ({"kind": "podcast", "host": "Ann"}, "name"),
        ({"kind": "podcast", "name": "p", "host": "h" * 101}, "host"),
        ({"kind": "podcast", "name": "p", "host": "Ann", "participants": [f"p{i}" for i in range(11)]}, "participants"),
        ({"kind": "podcast", "name": "p", "host": "Ann", "participants": "Bo"}, "participants"),
        ({"kind": "podcast", "name": "p", "host": "Ann", "participants": ["x" * 101]}, "participants"),
        ({"kind": "audiobook", "title": "t", "author": "a"}, "narrator"),
        ({"kind": "audiobook", "title": "t" * 101, "author": "a", "narrator": "n"}, "title"),
        ({"kind": "song"}, "name"),
        ({"kind": "song", "name": "s" * 101}, "name"),
        ({"kind": "song", "name": "s", "host": "Ann"}, "host"),
        ({"kind": "jazz", "name": "s"}, "kind"),
        ({"name": "s", "visibility": "secret"}, "visibility"),
        ({"name": 42}, "name"),
    ],
)
def test_invalid_metadata_is_422_naming_the_field(api, alice, stack, body, field):
    response = post_json(api, alice["token"], body)

    assert response.status_code == 422
    assert response.json_body["error"]["field"] == field
    assert api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"] == []


def test_a_direct_upload_takes_kind_fields_from_the_query(api, alice, wav):
    recording = api.upload(alice["token"], wav, name="ep1.wav&kind=podcast&host=Ann&participants=Bo,Cy")

    assert (recording["kind"], recording["host"], recording["participants"]) == ("podcast", "Ann", ["Bo", "Cy"])


def test_the_owner_edits_name_kind_fields_and_visibility(api, alice, wav):
    recording = api.upload(alice["token"], wav, name="ep1.wav&kind=podcast&host=Ann")

    edited = patch(
        api,
        recording["id"],
        alice["token"],
        {
            "name": "Pilot",
            "kind": "audiobook",
            "title": "Pilot",
            "author": "A",
            "narrator": "N",
            "visibility": "private",
        },
    )

    assert edited.status_code == 200
    body = edited.json_body
    assert (body["name"], body["kind"], body["visibility"], body["narrator"]) == ("Pilot", "audiobook", "private", "N")
    assert "host" not in body  # the old kind's fields went with it
    assert api.get(f"/recordings/{recording['id']}", alice["token"]).json_body == body


def test_edits_are_for_the_owner_and_must_be_valid(api, alice, bob, wav):
    recording = api.upload(alice["token"], wav)

    assert patch(api, recording["id"], bob["token"], {"name": "mine now"}).status_code == 403
    assert patch(api, recording["id"], None, {"name": "x"}).status_code == 401
    assert patch(api, "0d9f8e1c-0000-4000-8000-000000000000", alice["token"], {"name": "x"}).status_code == 404
    invalid = patch(api, recording["id"], alice["token"], {"kind": "podcast"})
    assert invalid.status_code == 422 and invalid.json_body["error"]["field"] == "host"
    assert api.get(f"/recordings/{recording['id']}").json_body["name"] == "take1.wav"


def test_a_private_recording_exists_only_for_its_owner(api, alice, bob, wav):
    recording = api.upload(alice["token"], wav, name="secret.wav&visibility=private")
    api.convert_pending()
    rid = recording["id"]

    assert api.get(f"/recordings/{rid}", alice["token"]).status_code == 200
    assert api.get(f"/recordings/{rid}/audio", alice["token"]).status_code == 302
    assert api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"][0]["id"] == rid
    for token in (bob["token"], None):
        assert api.get(f"/recordings/{rid}", token).status_code == 404
        assert api.get(f"/recordings/{rid}/audio", token).status_code == 404
        assert api.get(f"/recordings/{rid}/audio?format=original", token).status_code == 404
        for query in ("", f"?owner={alice['id']}", "?name=secret.wav", "?kind=other", "?status=ready"):
            assert api.get(f"/recordings{query}", token).json_body["items"] == []
    assert api.delete(f"/recordings/{rid}", bob["token"]).status_code == 404
    assert patch(api, rid, bob["token"], {"name": "x"}).status_code == 404


def test_making_a_recording_public_lists_it(api, alice, wav):
    recording = api.upload(alice["token"], wav, name="later.wav&visibility=private")

    patch(api, recording["id"], alice["token"], {"visibility": "public"})

    assert [item["id"] for item in api.get("/recordings?name=later.wav").json_body["items"]] == [recording["id"]]


def test_an_upload_slot_is_never_public_and_expires_unused(api, alice, monkeypatch):
    monkeypatch.setenv("CLOUDSOUND_UPLOAD_TTL_SECONDS", "1")
    created = post_json(api, alice["token"], {"name": "never.wav"}).json_body

    assert api.get("/recordings").json_body["items"] == []
    assert api.get(f"/recordings/{created['id']}").status_code == 404
    assert api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"][0]["id"] == created["id"]
    assert api.get(f"/recordings/{created['id']}/audio?format=original", alice["token"]).status_code == 409

    time.sleep(2.1)

    assert api.get(f"/recordings/{created['id']}", alice["token"]).status_code == 404
    assert api.get(f"/recordings?owner={alice['id']}", alice["token"]).json_body["items"] == []


def test_a_file_for_a_slot_that_is_gone_is_removed(api, alice, stack, wav):
    created = post_json(api, alice["token"], {"name": "late.wav", "size": len(wav)}).json_body
    api.delete(f"/recordings/{created['id']}", alice["token"])

    requests.put(created["upload"]["url"], data=wav, timeout=30)
    api.convert_pending()

    assert object_keys(stack["CLOUDSOUND_BUCKET"]) == []
