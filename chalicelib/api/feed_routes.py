"""Feeds: a person's public feed of one kind, their private feeds (secret URLs, revocable), and the private feed
itself. The feed's enclosures are the stable audio addresses (api/media_routes.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import signed_in
from chalicelib.api.declared import route
from chalicelib.api.http import json_errors, link_root

blueprint = Blueprint(__name__)
USER = {"user_id": {"type": "string", "pattern": "^[0-9]{1,16}$"}}
RSS = {
    200: {
        "description": "RSS 2.0 (itunes, podcast namespaces)",
        "content": {"application/rss+xml": {"schema": {"type": "string"}}},
    }
}


def _rss(user: Any, kind: str, secret: str | None) -> Response:
    from chalicelib import feeds, rss
    from chalicelib.covers import cover_of
    from chalicelib.pages.addresses import Addresses

    base = link_root(blueprint.current_request)
    recordings = feeds.items(user, kind, private_too=secret is not None)
    query = f"?feed={secret}" if secret else ""
    items = [
        rss.item_xml(recording, Addresses(base, recording.id), f"{base}/recordings/{recording.id}/audio.mp3{query}")
        for recording in recordings
    ]
    image = next(
        (
            f"{base}/recordings/{recording.id}/cover{query}"
            for recording in recordings[:1]
            if recording.visibility == "public" and cover_of(recording) is not None
        ),
        None,
    )
    noun = "Podcast" if kind == "podcast" else "Audiobooks"
    self_url = f"{base}/feeds/{secret}/feed.rss" if secret else f"{base}/users/{user.id}/feed.rss?kind={kind}"
    channel = rss.Channel(
        title=f"{user.name}: {noun}",
        link=f"{base}/u/{user.id}",
        self_url=self_url,
        description=f"{noun} by {user.name} on Cloud Sound",
        author=user.name,
        kind=kind,
        image=image,
    )
    return Response(
        body=rss.feed_xml(channel, items),
        status_code=200,
        headers={
            "Content-Type": "application/rss+xml; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache" if secret else "public, max-age=300",
        },
    )


@route(
    blueprint,
    "GET",
    "/users/{user_id}/feed.rss",
    summary="a person's public podcast or audiobook feed",
    auth="open",
    path_params=USER,
    query="FeedParams",
    returns={200: None},
    errors=(400, 404),
    media=RSS,
)
@json_errors
def public_feed(user_id: str) -> Response:
    from chalicelib import feeds
    from chalicelib.api.contract import decode_query
    from chalicelib.api.schemas.publishing import FeedParams
    from chalicelib.errors import NotFound
    from chalicelib.users import parse_user_id

    kind = decode_query(blueprint.current_request.query_params, FeedParams).kind
    parsed = parse_user_id(user_id)
    if parsed is None:
        raise NotFound(f"no user {user_id}")
    return _rss(feeds.owner_of(parsed), kind, None)


@route(
    blueprint,
    "GET",
    "/feeds/{secret}/feed.rss",
    summary="a private feed (its secret URL)",
    auth="open",
    path_params={"secret": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}},
    returns={200: None},
    errors=(404,),
    media=RSS,
)
@json_errors
def secret_feed(secret: str) -> Response:
    from chalicelib import feeds

    user, kind = feeds.private_feed(secret)
    return _rss(user, kind, secret)


@route(
    blueprint,
    "POST",
    "/me/feeds",
    summary="make a private feed (a secret URL with private recordings too)",
    auth="token",
    body="NewFeed",
    required_body=True,
    returns={201: "Feed"},
    errors=(400, 401, 409, 422),
)
@json_errors
def create_feed() -> Response:
    from chalicelib import feeds
    from chalicelib.api.contract import decode_body
    from chalicelib.api.schemas.publishing import NewFeed

    request = blueprint.current_request
    user = signed_in(request.headers)
    feed, secret = feeds.create(user, decode_body(request.raw_body, NewFeed).kind)
    view = feeds.feed_view(feed, secret, link_root(request))
    return Response(body=view, status_code=201, headers={"Location": view["url"], "Cache-Control": "no-store"})


@route(
    blueprint, "GET", "/me/feeds", summary="your private feeds", auth="token", returns={200: "FeedList"}, errors=(401,)
)
@json_errors
def list_feeds() -> dict[str, Any]:
    from chalicelib import feeds

    request = blueprint.current_request
    base = link_root(request)
    return {"items": [feeds.feed_view(feed, None, base) for feed in feeds.listed(signed_in(request.headers))]}


@route(
    blueprint,
    "DELETE",
    "/me/feeds/{feed_id}",
    summary="revoke a private feed",
    auth="token",
    path_params={"feed_id": {"type": "string", "pattern": "^[0-9a-f]{1,32}$"}},
    returns={204: None},
    errors=(401, 404),
    media={204: {"description": "revoked"}},
)
@json_errors
def revoke_feed(feed_id: str) -> Response:
    from chalicelib import feeds

    feeds.revoke(signed_in(blueprint.current_request.headers), feed_id)
    return Response(body="", status_code=204)
