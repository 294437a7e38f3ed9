"""Publishing, as the outside world reads it: a recording's page read as a link-preview crawler reads it (no
JavaScript: its meta tags), the embed's headers, oEmbed, the cover, and the feeds read by a real feed parser whose
enclosures are followed with HEAD and a ranged GET, as podcast apps do. Hostile names stay text."""

from __future__ import annotations

import json
import urllib.parse
from html.parser import HTMLParser

import feedparser
import pytest
import requests

from tests.integration.test_mp3_file import tagged_flac_with_cover

HOSTILE = "<script>alert(1)</script>\"><img src=x onerror=alert(2)> & 'q'"


class Head(HTMLParser):
    """What a crawler takes from a page: meta tags, link tags, and whether any <script> ran (none should)."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        if tag == "link":
            self.links.append(values)
        if tag == "script" or any(name.startswith("on") for name in values):
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def parsed(body: bytes) -> Head:
    head = Head()
    head.feed(body.decode())
    return head


def header(response, name: str) -> str | None:
    """A header of a test-client answer, whatever its case."""
    return next((value for key, value in response.headers.items() if key.lower() == name), None)


def auth(user):
    return {"Authorization": f"Bearer {user['token']}"}


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def podcast(api, alice, make_audio):
    wav = make_audio("ep1.wav", seconds=2, rate=8000).read_bytes()
    recording = api.upload(alice["token"], wav, name=urllib.parse.quote(HOSTILE) + "&kind=podcast&host=Ann")
    api.convert_pending()
    return recording


def test_a_recordings_page_previews_without_javascript(client, podcast):
    response = client.http.get(f"/r/{podcast['id']}")
    assert response.status_code == 200 and header(response, "content-type").startswith("text/html")
    head = parsed(response.body)
    meta = head.meta
    assert meta["og:title"] == HOSTILE and meta["og:type"] and meta["og:url"].endswith(f"/r/{podcast['id']}")
    assert meta["og:audio"].endswith(f"/recordings/{podcast['id']}/audio.mp3")
    assert meta["twitter:card"] == "player" and meta["twitter:player"].endswith(f"/embed/{podcast['id']}")
    assert "og:image" not in meta  # a sine has no cover
    [oembed] = [link for link in head.links if link.get("type") == "application/json+oembed"]
    assert oembed["rel"] == "alternate"
    assert head.scripts == 0  # the hostile name is text, and the page itself needs no script
    assert HOSTILE in "".join(head.text)
    assert "frame-ancestors 'none'" in header(response, "content-security-policy")

    answer = client.http.get(path_of(oembed["href"]))
    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert {key: body[key] for key in ("version", "type", "provider_name", "title", "author_name")} == {
        "version": "1.0",
        "type": "rich",
        "provider_name": "Cloud Sound",
        "title": HOSTILE,
        "author_name": "alice",
    }
    assert f"/embed/{podcast['id']}" in body["html"] and body["html"].startswith("<iframe")
    assert "<script" not in body["html"] and body["width"] > 0 and body["height"] > 0


def test_oembed_sizes_formats_and_unknowns(client, api, alice, podcast, make_audio):
    url = urllib.parse.quote(f"http://localhost/r/{podcast['id']}")
    small = client.http.get(f"/oembed?url={url}&format=json&maxwidth=300&maxheight=120").json_body
    assert small["width"] <= 300 and small["height"] <= 120 and 'width="300"' in small["html"]
    assert client.http.get(f"/oembed?url={url}&format=xml").status_code == 501
    assert client.http.get("/oembed?url=http%3A%2F%2Flocalhost%2Fr%2Fnope&format=json").status_code == 404
    assert client.http.get("/oembed?url=javascript%3Aalert(1)&format=json").status_code == 404
    assert client.http.get("/oembed?format=json").status_code == 400
    private = api.upload(
        alice["token"], make_audio("p.wav", seconds=1, rate=8000).read_bytes(), name="p&visibility=private"
    )
    api.convert_pending()
    assert client.http.get(f"/oembed?url=http%3A%2F%2Flocalhost%2Fr%2F{private['id']}").status_code == 404
    share = client.http.post(
        f"/recordings/{private['id']}/shares", body="{}", headers={**auth(alice), "Content-Type": "application/json"}
    ).json_body
    shared = client.http.get(f"/oembed?url={urllib.parse.quote(share['url'], safe='')}").json_body
    assert "/embed/" in shared["html"] and "share=" in shared["html"]


def test_private_pages_are_not_found_but_for_the_owner(client, alice, bob, api, make_audio):
    private = api.upload(
        alice["token"], make_audio("p.wav", seconds=1, rate=8000).read_bytes(), name="hidden&visibility=private"
    )
    api.convert_pending()
    for path in (f"/r/{private['id']}", f"/embed/{private['id']}"):
        assert client.http.get(path).status_code == 404
        assert client.http.get(path, headers=auth(bob)).status_code == 404
        assert client.http.get(path, headers=auth(alice)).status_code == 200
    user_page = client.http.get(f"/u/{alice['id']}").body.decode()
    assert "hidden" not in user_page and "feed.rss?kind=podcast" in user_page
    assert client.http.get("/u/999999").status_code == 404
    assert client.http.get("/r/..%2F..%2Fetc").status_code == 404


def test_the_embed_may_be_framed_anywhere_and_runs_only_its_own_script(client, podcast):
    response = client.http.get(f"/embed/{podcast['id']}")
    assert response.status_code == 200
    csp = header(response, "content-security-policy")
    assert "frame-ancestors *" in csp and "'unsafe-inline'" not in csp and header(response, "x-frame-options") is None
    page = response.body.decode()
    assert page.count("<script>") == 1 and "<script>alert" not in page and f"/r/{podcast['id']}" in page
    assert 'id="play"' in page and "<svg" in page


def test_the_cover_is_the_picture_the_original_carried(client, api, alice, podcast, tmp_path):
    assert client.http.get(f"/recordings/{podcast['id']}/cover").status_code == 404
    flac, cover = tagged_flac_with_cover(tmp_path)
    made = client.http.post("/recordings", body=flac, headers={**auth(alice), "Content-Type": "audio/flac"})
    api.convert_pending()
    recording_id = made.json_body["id"]
    response = client.http.get(f"/recordings/{recording_id}/cover")
    assert response.status_code == 302
    fetched = requests.get(header(response, "location"), timeout=10)
    assert fetched.content == cover and fetched.headers["content-type"] == "image/jpeg"
    meta = parsed(client.http.get(f"/r/{recording_id}").body).meta
    assert meta["og:image"].endswith(f"/recordings/{recording_id}/cover")
    thumbnail = client.http.get(f"/oembed?url=http%3A%2F%2Flocalhost%2Fr%2F{recording_id}").json_body
    assert (thumbnail["thumbnail_width"], thumbnail["thumbnail_height"]) == (48, 48)


def follow(client, url: str, method: str = "GET", headers: dict | None = None) -> requests.Response:
    """An enclosure as a podcast app fetches it: the stable address, then where it redirects."""
    first = client.http.request(method, path_of(url), headers=headers or {})
    assert first.status_code == 302, first.body
    return requests.request(method, header(first, "location"), headers=headers or {}, timeout=10)


def test_a_feed_reader_subscribes_and_fetches_enclosures(client, api, alice, podcast, make_audio):
    api.upload(  # a private episode: not in the public feed
        alice["token"],
        make_audio("p.wav", seconds=1, rate=8000).read_bytes(),
        name="Bonus&kind=podcast&host=Ann&visibility=private",
    )
    api.convert_pending()
    response = client.http.get(f"/users/{alice['id']}/feed.rss?kind=podcast")
    assert response.status_code == 200 and "rss" in header(response, "content-type")
    feed = feedparser.parse(response.body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "rss20" and feed.feed.title and feed.feed.link.endswith(f"/u/{alice['id']}")
    assert "itunes" in feed.namespaces and "podcast" in feed.namespaces
    [entry] = feed.entries
    assert entry.title == HOSTILE and entry.id == podcast["id"] and not entry.guidislink
    assert entry.published_parsed is not None and entry.link.endswith(f"/r/{podcast['id']}")
    assert entry.itunes_duration == "2"
    [enclosure] = entry.enclosures
    mp3 = api.get(f"/recordings/{podcast['id']}").json_body["mp3"]
    assert enclosure.type == "audio/mpeg" and int(enclosure.length) == mp3["size"]

    head = follow(client, enclosure.href, "HEAD")
    assert head.status_code == 200 and int(head.headers["content-length"]) == mp3["size"]
    ranged = follow(client, enclosure.href, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100 and ranged.content[:3] == b"ID3"

    assert client.http.get(f"/users/{alice['id']}/feed.rss?kind=audiobook").status_code == 200
    assert client.http.get(f"/users/{alice['id']}/feed.rss?kind=song").status_code == 400
    assert client.http.get("/users/424242/feed.rss?kind=podcast").status_code == 404


def test_a_private_feed_carries_private_recordings_until_revoked(client, api, alice, bob, podcast, make_audio):
    private = api.upload(
        alice["token"],
        make_audio("p.wav", seconds=1, rate=8000).read_bytes(),
        name="Bonus&kind=podcast&host=Ann&visibility=private",
    )
    api.convert_pending()
    made = client.http.post(
        "/me/feeds", body=json.dumps({"kind": "podcast"}), headers={**auth(alice), "Content-Type": "application/json"}
    )
    assert made.status_code == 201, made.body
    feed_url = made.json_body["url"]
    feed = feedparser.parse(client.http.get(path_of(feed_url)).body)
    assert {entry.id for entry in feed.entries} == {podcast["id"], private["id"]}
    [bonus] = [entry for entry in feed.entries if entry.id == private["id"]]
    assert follow(client, bonus.enclosures[0].href, "HEAD").status_code == 200
    public_feed = feedparser.parse(client.http.get(f"/users/{alice['id']}/feed.rss?kind=podcast").body)
    assert [entry.id for entry in public_feed.entries] == [podcast["id"]]
    # Another's private recording is not opened by one's own feed secret.
    secret = urllib.parse.urlsplit(feed_url).path.split("/")[2]
    theirs = api.upload(
        bob["token"],
        make_audio("b.wav", seconds=1, rate=8000).read_bytes(),
        name="Theirs&kind=podcast&host=Bo&visibility=private",
    )
    api.convert_pending()
    assert client.http.get(f"/recordings/{theirs['id']}/audio.mp3?feed={secret}").status_code == 404

    listed = client.http.get("/me/feeds", headers=auth(alice)).json_body["items"]
    assert [item["id"] for item in listed] == [made.json_body["id"]] and "url" not in listed[0]
    assert client.http.delete(f"/me/feeds/{made.json_body['id']}", headers=auth(bob)).status_code == 404
    assert client.http.delete(f"/me/feeds/{made.json_body['id']}", headers=auth(alice)).status_code == 204
    assert client.http.get(path_of(feed_url)).status_code == 404
    assert client.http.get(path_of(bonus.enclosures[0].href)).status_code == 404
    assert (
        client.http.post(
            "/me/feeds", body=json.dumps({"kind": "song"}), headers={**auth(alice), "Content-Type": "application/json"}
        ).status_code
        == 422
    )


def test_strangers_get_nothing_from_the_stable_address_and_pages_of_shares_are_unlisted(
    client, api, alice, bob, make_audio
):
    private = api.upload(
        alice["token"], make_audio("p.wav", seconds=1, rate=8000).read_bytes(), name="p&visibility=private"
    )
    api.convert_pending()
    for headers in ({}, auth(bob)):
        head = client.http.request("HEAD", f"/recordings/{private['id']}/audio.mp3", headers=headers)
        assert head.status_code == 404 and head.body in (b"", "")  # a HEAD answer has no body, errors included
        assert client.http.get(f"/recordings/{private['id']}/audio.mp3", headers=headers).status_code == 404
        assert client.http.get(f"/recordings/{private['id']}/cover", headers=headers).status_code == 404
    owner = client.http.get(f"/recordings/{private['id']}/audio.mp3?utm_source=app", headers=auth(alice))
    assert owner.status_code == 302  # the owner's token opens it; parameters apps add are ignored
    assert client.http.get("/oembed?url=http%3A%2F%2Fh%2Fr%2Fx&format=yaml").status_code == 400

    share = client.http.post(
        f"/recordings/{private['id']}/shares", body="{}", headers={**auth(alice), "Content-Type": "application/json"}
    ).json_body
    page = client.http.get(path_of(share["url"]))
    assert page.status_code == 200 and header(page, "referrer-policy") == "no-referrer"
    assert parsed(page.body).meta.get("robots") == "noindex"
    assert parsed(page.body).meta["og:audio"].endswith("share=" + share["url"].rsplit("/", 1)[1])
    assert client.http.get(path_of(share["url"]) + "x").status_code == 404


def test_a_persons_page_escapes_their_name_and_lists_only_public_recordings(client, api, podcast):
    mallory = api.register(name=HOSTILE[:90])
    page = client.http.get(f"/u/{mallory['id']}")
    head = parsed(page.body)
    assert page.status_code == 200 and head.scripts == 0 and HOSTILE[:90] in "".join(head.text)
    assert "No public recordings" in page.body.decode()
    alices = client.http.get(f"/u/{podcast['owner']}").body.decode()
    assert f"/r/{podcast['id']}" in alices and "feed.rss?kind=audiobook" in alices
