"""oEmbed (GET /oembed) and the feeds' query and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Pixels = Annotated[int, Meta(ge=1, le=10000)]


class OEmbedParams(Struct, kw_only=True):
    url: Annotated[str, Meta(max_length=2048, description="a /r/{id}, /s/{secret} or /embed/{id} URL")]
    format: Annotated[str, Meta(max_length=16, description="json (xml answers 501)")] = "json"
    maxwidth: Pixels | None = None
    maxheight: Pixels | None = None


class OEmbed(Struct, kw_only=True):
    """oEmbed 1.0, type `rich`."""

    version: Literal["1.0"]
    type: Literal["rich"]
    provider_name: str
    provider_url: str
    title: str
    author_name: str
    author_url: str
    html: str
    width: int
    height: int
    cache_age: int | None = None
    thumbnail_url: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


class FeedParams(Struct, kw_only=True):
    kind: Literal["podcast", "audiobook"]


class EnclosureParams(Struct, kw_only=True):
    """The stable audio link: open for public recordings; `share` or `feed` opens a private one."""

    share: Annotated[str, Meta(max_length=64)] | None = None
    feed: Annotated[str, Meta(max_length=64, description="a private feed's secret")] | None = None


class NewFeed(Struct, kw_only=True):
    kind: Literal["podcast", "audiobook"]


class Feed(Struct, kw_only=True):
    id: str
    kind: Literal["podcast", "audiobook"]
    url: Annotated[str, Meta(description="the secret feed URL: only in the answer that made it")] | None = None
    created_at: str


class FeedList(Struct):
    items: list[Feed]
