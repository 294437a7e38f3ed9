"""oEmbed 1.0 (https://oembed.com): which recording a consumer's URL names, and the `rich` answer with the embed's
iframe. Pure: the route looks the recording up and checks who may see it."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chalicelib.pages.addresses import EMBED_HEIGHT, EMBED_WIDTH, Addresses, iframe
from chalicelib.recording import Recording

_PAGE = re.compile(r"^(?:/[^/]+)?/(r|s|embed)/([A-Za-z0-9_-]{1,64})/?$")  # an API Gateway stage may lead


@dataclass(frozen=True)
class Named:
    """What an oEmbed `url` names: a recording's page (`r`, `embed`) or a share's (`s`)."""

    kind: str
    value: str
    share: str | None = None


def named(url: str) -> Named | None:
    """The recording or share a /r/, /s/ or /embed/ URL names; None for anything else."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    match = _PAGE.match(parts.path)
    if not match:
        return None
    kind, value = match.groups()
    if kind == "s":
        return Named("s", value, share=value)
    share = urllib.parse.parse_qs(parts.query).get("share", [None])[0]
    return Named("r", value, share=share)


def size(maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    """The iframe's size within the consumer's bounds, as oEmbed requires (a bound below a usable player still
    bounds it: the player shrinks)."""
    width = max(1, min(EMBED_WIDTH, maxwidth)) if maxwidth else EMBED_WIDTH
    height = max(1, min(EMBED_HEIGHT, maxheight)) if maxheight else EMBED_HEIGHT
    return width, height


def answer(
    recording: Recording, addresses: Addresses, width: int, height: int, thumbnail: tuple[str, int, int] | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": "Cloud Sound",
        "provider_url": f"{addresses.base}/",
        "title": recording.name,
        "author_name": recording.owner_name or f"user{recording.owner}",
        "author_url": addresses.person(recording.owner),
        "html": iframe(addresses, width, height),
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    if thumbnail:
        found.update(thumbnail_url=thumbnail[0], thumbnail_width=thumbnail[1], thumbnail_height=thumbnail[2])
    return found


def picture_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's, GIF's or JPEG's width and height, from its header; None if it cannot tell."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
            i += 2 + length
    return None
