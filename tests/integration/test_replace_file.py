"""POST /recordings/{id}/upload: the owner replaces a recording's file through an upload link; the newest upload
wins; a link takes one file, of the declared size; nobody else gets one."""

from __future__ import annotations

import json

import requests


def slot_for(client, recording_id: str, token: str, size: int, expect: int = 201) -> dict:
    response = client.http.post(
        f"/recordings/{recording_id}/upload",
        body=json.dumps({"size": size}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == expect, response.body
    return response.json_body


def test_the_owner_replaces_a_recordings_file_through_a_link(client, api, alice, make_audio):
    first = make_audio("one.wav", seconds=1, rate=8000).read_bytes()
    second = make_audio("two.wav", seconds=2, rate=8000).read_bytes()
    recording = api.upload(alice["token"], first)
    api.convert_pending()
    assert api.get(f"/recordings/{recording['id']}", alice["token"]).json_body["duration"] == 1.0

    answer = slot_for(client, recording["id"], alice["token"], len(second))
    upload = answer["upload"]
    assert answer["id"] == recording["id"] and upload["method"] == "PUT" and upload["size"] == len(second)
    put = requests.put(
        upload["url"], data=second, headers={**upload["headers"], "Content-Type": "audio/wav"}, timeout=30
    )
    assert put.status_code == 200, put.text
    api.convert_pending()

    replaced = api.get(f"/recordings/{recording['id']}", alice["token"]).json_body
    assert replaced["status"] == "ready" and replaced["duration"] == 2.0
    assert replaced["original"]["size"] == len(second)
    again = requests.put(
        upload["url"], data=second, headers={**upload["headers"], "Content-Type": "audio/wav"}, timeout=30
    )
    assert again.status_code == 412  # a link takes one file


def test_of_two_links_the_first_file_to_arrive_wins_and_the_older_link_is_spent(client, api, alice, make_audio):
    first = make_audio("one.wav", seconds=1, rate=8000).read_bytes()
    newer = make_audio("three.wav", seconds=3, rate=8000).read_bytes()
    recording = api.upload(alice["token"], first)
    api.convert_pending()
    a = slot_for(client, recording["id"], alice["token"], len(newer))["upload"]
    b = slot_for(client, recording["id"], alice["token"], len(newer))["upload"]

    assert requests.put(b["url"], data=newer, headers=b["headers"], timeout=30).status_code == 200
    assert requests.put(a["url"], data=newer, headers=a["headers"], timeout=30).status_code == 412
    api.convert_pending()
    assert api.get(f"/recordings/{recording['id']}", alice["token"]).json_body["duration"] == 3.0


def test_nobody_else_gets_a_link(client, api, alice, bob, make_audio):
    recording = api.upload(alice["token"], make_audio(seconds=1, rate=8000).read_bytes())

    assert slot_for(client, recording["id"], bob["token"], 100, expect=403)["error"]["code"] == "forbidden"
    response = client.http.post(
        f"/recordings/{recording['id']}/upload",
        body=json.dumps({"size": 100}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert slot_for(client, recording["id"], alice["token"], 0, expect=422)["error"]["field"] == "size"
    assert slot_for(client, "no-such-recording", alice["token"], 100, expect=404)
