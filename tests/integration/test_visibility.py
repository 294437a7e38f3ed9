"""Private means private on every route. A table of every route that can show a recording, its metadata or its
audio — primary and compatibility alike — is checked with two users, a private recording and a hidden upload slot:
the owner sees them, nobody else learns they exist. A route the app gains must join the table (or the list of
routes that show no recording), or the last test fails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import pytest

from app import app


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the app declares it
    request: Callable[[Any, dict, dict], Any]  # (client, recording, headers) -> response
    shows: Callable[[Any, dict], bool]  # (response, recording) -> whether the answer reveals the recording
    owner_sees: bool = True  # public lists hold listed recordings only, the owner's private ones included


def answered(response, recording) -> bool:
    """A route about one recording reveals it unless it answers as for an unknown one (or asks for a token)."""
    assert response.status_code < 500, response.body
    return response.status_code not in (401, 404)


def listed(response, recording) -> bool:
    """A list reveals what it holds (a by-name lookup that finds nothing answers 404)."""
    assert response.status_code in (200, 404), response.body
    return response.status_code == 200 and recording["id"] in response.body.decode()


def get(path: Callable[[dict], str]) -> Callable[[Any, dict, dict], Any]:
    return lambda client, recording, headers: client.http.get(path(recording), headers={"Accept": "*/*", **headers})


def send(method: str, path: Callable[[dict], str], body: dict) -> Callable[[Any, dict, dict], Any]:
    return lambda client, recording, headers: getattr(client.http, method.lower())(
        path(recording), body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )


BOGUS = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # shaped like a share's or a feed's secret, and nobody's
FEED_KIND = "podcast"

ROUTES = [
    Route("GET", "/recordings/{recording_id}", get(lambda r: f"/recordings/{r['id']}"), answered),
    Route("GET", "/recordings/{recording_id}/audio", get(lambda r: f"/recordings/{r['id']}/audio"), answered),
    Route("GET", "/recordings/{recording_id}/peaks", get(lambda r: f"/recordings/{r['id']}/peaks"), answered),
    Route("PATCH", "/recordings/{recording_id}", send("PATCH", lambda r: f"/recordings/{r['id']}", {}), answered),
    Route("GET", "/recordings", get(lambda r: f"/recordings?owner={r['owner']}"), listed),
    Route("GET", "/recordings", get(lambda r: f"/recordings?name={r['name']}"), listed, owner_sees=False),
    Route("GET", "/recordings", get(lambda r: "/recordings"), listed, owner_sees=False),
    Route("GET", "/list", get(lambda r: "/list"), listed, owner_sees=False),
    Route("GET", "/info", get(lambda r: f"/info?id={r['id']}"), answered),
    Route("GET", "/info", get(lambda r: f"/info?name={r['name']}"), listed, owner_sees=False),
    Route("GET", "/download", get(lambda r: f"/download?id={r['id']}"), answered),
    Route("GET", "/download", get(lambda r: f"/download?name={r['name']}&format=original"), answered, owner_sees=False),
    Route("GET", "/record", get(lambda r: f"/record?id={r['id']}&user={r['owner']}"), answered),
    Route("GET", "/api/download", get(lambda r: f"/api/download?id_record={r['id']}&id_user={r['owner']}"), answered),
    Route("GET", "/api/audio/{kind}/{audio_id}", get(lambda r: f"/api/audio/{r['kind']}/{r['id']}"), answered),
    Route(
        "PUT",
        "/api/audio/{kind}/{audio_id}",
        send("PUT", lambda r: f"/api/audio/{r['kind']}/{r['id']}", {"name": "Renamed"}),
        answered,
    ),
    Route("GET", "/api/audio/{kind}", get(lambda r: f"/api/audio/{r['kind']}"), listed),
    Route("GET", "/recordings/{recording_id}/upload", get(lambda r: f"/recordings/{r['id']}/upload"), answered),
    Route(
        "POST",
        "/recordings/{recording_id}/upload/complete",
        send("POST", lambda r: f"/recordings/{r['id']}/upload/complete", {}),
        answered,
    ),
    # Sharing and publishing (issue 27). A share that is not this recording's opens nothing, the owner's token
    # notwithstanding: a dead link is dead for everyone.
    Route(
        "GET",
        "/recordings/{recording_id}",
        get(lambda r: f"/recordings/{r['id']}?share={BOGUS}"),
        answered,
        owner_sees=False,
    ),
    Route(
        "GET",
        "/recordings/{recording_id}/audio",
        get(lambda r: f"/recordings/{r['id']}/audio?share={BOGUS}"),
        answered,
        owner_sees=False,
    ),
    Route(
        "GET",
        "/recordings/{recording_id}/peaks",
        get(lambda r: f"/recordings/{r['id']}/peaks?share={BOGUS}"),
        answered,
        owner_sees=False,
    ),
    Route(
        "POST",
        "/recordings/{recording_id}/shares",
        send("POST", lambda r: f"/recordings/{r['id']}/shares", {}),
        answered,
    ),
    Route("GET", "/recordings/{recording_id}/shares", get(lambda r: f"/recordings/{r['id']}/shares"), answered),
    Route("GET", "/r/{recording_id}", get(lambda r: f"/r/{r['id']}"), answered),
    Route("GET", "/embed/{recording_id}", get(lambda r: f"/embed/{r['id']}"), answered),
    Route("GET", "/s/{secret}", get(lambda r: f"/s/{BOGUS}"), answered, owner_sees=False),
    Route("GET", "/u/{user_id}", get(lambda r: f"/u/{r['owner']}"), listed, owner_sees=False),
    Route(
        "GET",
        "/oembed",
        get(lambda r: f"/oembed?url=http%3A%2F%2Flocalhost%2Fr%2F{r['id']}"),
        answered,
        owner_sees=False,
    ),
    Route("GET", "/recordings/{recording_id}/audio.mp3", get(lambda r: f"/recordings/{r['id']}/audio.mp3"), answered),
    Route(
        "HEAD",
        "/recordings/{recording_id}/audio.mp3",
        lambda client, r, headers: client.http.request("HEAD", f"/recordings/{r['id']}/audio.mp3", headers=headers),
        answered,
    ),
    Route(
        "GET",
        "/recordings/{recording_id}/audio.mp3",
        get(lambda r: f"/recordings/{r['id']}/audio.mp3?feed={BOGUS}"),
        answered,
        owner_sees=False,
    ),
    Route(
        "GET",
        "/recordings/{recording_id}/cover",
        get(lambda r: f"/recordings/{r['id']}/cover"),
        answered,
        owner_sees=False,
    ),  # a sine has no cover: the owner's answer is a 404 too
    Route(
        "GET",
        "/users/{user_id}/feed.rss",
        get(lambda r: f"/users/{r['owner']}/feed.rss?kind={FEED_KIND}"),
        listed,
        owner_sees=False,
    ),
    Route("GET", "/feeds/{secret}/feed.rss", get(lambda r: f"/feeds/{BOGUS}/feed.rss"), answered, owner_sees=False),
    Route(
        "POST",
        "/recordings/{recording_id}/upload",
        send("POST", lambda r: f"/recordings/{r['id']}/upload", {"size": 100}),
        answered,
    ),
]
# Deleting is checked for the others only (the owner's delete would end the test), in the test below.
DELETES = [
    ("/recordings/{recording_id}", lambda r: f"/recordings/{r['id']}"),
    ("/api/audio/{kind}/{audio_id}", lambda r: f"/api/audio/{r['kind']}/{r['id']}"),
    ("/recordings/{recording_id}/shares/{share_id}", lambda r: f"/recordings/{r['id']}/shares/0123abcd"),
]
SHOW_NO_RECORDING = {
    ("GET", "/"),
    ("GET", "/openapi.json"),
    ("GET", "/health"),
    ("GET", "/me"),
    ("GET", "/users/{user_id}"),
    ("GET", "/user/{user_id}"),
    ("POST", "/users"),
    ("POST", "/user"),
    ("POST", "/api/registration"),
    ("POST", "/recordings"),
    ("POST", "/post"),
    ("POST", "/record"),
    ("POST", "/api/upload_audiorecord"),
    ("POST", "/api/audio/create"),
    ("POST", "/me/feeds"),
    ("GET", "/me/feeds"),
    ("DELETE", "/me/feeds/{feed_id}"),
}


# A user's own things that are not recordings (keys, webhooks, the account): (method, path as declared, the path
# for alice's key and hook, a JSON body). Nobody without a token, and no other user, sees or changes them; alice's
# read key reads them and changes nothing (403 insufficient_scope).
ACCOUNT_ROUTES = [
    ("GET", "/me/keys", lambda ids: "/me/keys", None),
    ("POST", "/me/keys", lambda ids: "/me/keys", {"name": "more", "scope": "write"}),
    ("DELETE", "/me/keys/{key_id}", lambda ids: f"/me/keys/{ids['key']}", None),
    ("GET", "/me/webhooks", lambda ids: "/me/webhooks", None),
    (
        "POST",
        "/me/webhooks",
        lambda ids: "/me/webhooks",
        {"url": "https://93.184.216.34/", "events": ["recording.ready"]},
    ),
    ("DELETE", "/me/webhooks/{hook_id}", lambda ids: f"/me/webhooks/{ids['hook']}", None),
    ("GET", "/me/webhooks/{hook_id}/deliveries", lambda ids: f"/me/webhooks/{ids['hook']}/deliveries", None),
    ("DELETE", "/me", lambda ids: "/me", None),
]


@pytest.fixture
def hidden(api, client, alice, make_audio):
    """Alice's private recording (converted), her upload slot that never got its file, and her upload in parts that
    got none of its parts."""
    wav = make_audio("secret.wav", seconds=1, rate=8000).read_bytes()
    private = api.upload(alice["token"], wav, name="secret.wav&kind=podcast&host=Al&visibility=private")
    api.convert_pending()
    slot = client.http.post(
        "/recordings",
        body=json.dumps({"name": "slot.wav", "kind": "song", "size": 100}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    upload = client.http.post(
        "/recordings",
        body=json.dumps({"name": "master.wav", "kind": "song", "size": 100, "multipart": True}),
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    ).json_body
    return {"private": private, "slot": slot, "upload": upload}


@pytest.mark.parametrize("which", ["private", "slot", "upload"])
@pytest.mark.parametrize("route", ROUTES, ids=[f"{route.method} {route.path} #{n}" for n, route in enumerate(ROUTES)])
def test_only_the_owner_sees_a_private_recording_or_an_upload_slot(client, alice, bob, hidden, route, which):
    recording = hidden[which]
    callers = {"nobody": {}, "bob": {"Authorization": f"Bearer {bob['token']}"}}

    for who, headers in callers.items():
        assert not route.shows(route.request(client, recording, headers), recording), f"{who} saw it"
    if route.owner_sees:
        assert route.shows(route.request(client, recording, {"Authorization": f"Bearer {alice['token']}"}), recording)


@pytest.mark.parametrize("which", ["private", "slot", "upload"])
def test_nobody_else_deletes_a_private_recording(client, alice, bob, hidden, which):
    recording = hidden[which]
    for _, path in DELETES:
        for headers in ({}, {"Authorization": f"Bearer {bob['token']}"}):
            response = client.http.delete(path(recording), headers=headers)
            assert response.status_code in (401, 404), response.body
    still_there = client.http.get(
        f"/recordings/{recording['id']}", headers={"Authorization": f"Bearer {alice['token']}"}
    )
    assert still_there.status_code == 200


def test_every_route_is_in_the_table():
    declared = {(method, path) for path, methods in app.routes.items() for method in methods}
    tabled = {(route.method, route.path) for route in ROUTES} | {("DELETE", path) for path, _ in DELETES}
    tabled |= {(method, path) for method, path, _, _ in ACCOUNT_ROUTES}

    assert declared == tabled | SHOW_NO_RECORDING


@pytest.mark.parametrize("which", ["private", "slot"])
def test_a_share_opens_its_own_recording_only(client, alice, bob, hidden, which):
    """A live share of Alice's private recording opens it to anyone; it opens nothing else of hers, and Bob cannot
    make one."""
    shared = hidden["private"]
    made = client.http.post(
        f"/recordings/{shared['id']}/shares",
        body="{}",
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )
    secret = made.json_body["url"].rsplit("/", 1)[1]
    for headers in ({}, {"Authorization": f"Bearer {bob['token']}"}):
        assert client.http.get(f"/recordings/{shared['id']}?share={secret}", headers=headers).status_code == 200
        if which == "slot":
            target = hidden["slot"]["id"]
            for path in (
                f"/recordings/{target}",
                f"/recordings/{target}/audio",
                f"/recordings/{target}/peaks",
                f"/r/{target}",
                f"/embed/{target}",
                f"/recordings/{target}/audio.mp3",
            ):
                assert client.http.get(f"{path}?share={secret}", headers=headers).status_code == 404, path
    assert (
        client.http.post(
            f"/recordings/{shared['id']}/shares",
            body="{}",
            headers={"Authorization": f"Bearer {bob['token']}", "Content-Type": "application/json"},
        ).status_code
        == 404
    )
