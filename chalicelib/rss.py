"""A feed as RSS 2.0 with the `itunes` and `podcast` namespaces, as Apple Podcasts and Podcasting 2.0 read it.
Pure: recordings and addresses in, XML out; every user string escaped."""

from __future__ import annotations

import datetime
import email.utils
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from chalicelib.pages.addresses import Addresses
from chalicelib.recording import Recording

NAMESPACES = (
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom"'
)


# Apple's category list: audiobooks are Arts › Books; a podcast's subject is not known, so Society & Culture.
CATEGORIES = {
    "audiobook": '<itunes:category text="Arts"><itunes:category text="Books"/></itunes:category>',
    "podcast": '<itunes:category text="Society &amp; Culture"/>',
}


@dataclass(frozen=True)
class Channel:
    title: str
    link: str
    self_url: str
    description: str
    author: str
    kind: str  # podcast | audiobook
    image: str | None = None
    language: str = "en"


def rfc2822(iso: str) -> str:
    """ "2026-12-07T10:32:18.123456Z" as RSS dates are written: "Mon, 07 Dec 2026 10:32:18 GMT"."""
    moment = datetime.datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.UTC)
    return email.utils.format_datetime(moment, usegmt=True)


def _element(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def item_xml(recording: Recording, addresses: Addresses, enclosure: str) -> str:
    size = int(recording.mp3["size"] if recording.mp3 else 0)
    author = recording.host or recording.author or recording.owner_name or f"user{recording.owner}"
    summary = recording.title or recording.name
    return (
        "<item>"
        + _element("title", recording.name)
        + f'<guid isPermaLink="false">{escape(recording.id)}</guid>'
        + _element("pubDate", rfc2822(recording.created_at))
        + _element("link", addresses.page)
        + _element("description", summary)
        + _element("itunes:author", author)
        + _element("itunes:duration", int(round(recording.duration or 0)))
        + f'<enclosure url={quoteattr(enclosure)} length="{size}" type="audio/mpeg"/>'
        + _element("itunes:explicit", "false")
        + "</item>"
    )


def feed_xml(channel: Channel, items: list[str]) -> str:
    image = (
        (
            f"<itunes:image href={quoteattr(channel.image)}/><image><url>{escape(channel.image)}</url>"
            f"{_element('title', channel.title)}{_element('link', channel.link)}</image>"
        )
        if channel.image
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" {NAMESPACES}><channel>'
        + _element("title", channel.title)
        + _element("link", channel.link)
        + f'<atom:link href={quoteattr(channel.self_url)} rel="self" type="application/rss+xml"/>'
        + _element("description", channel.description)
        + _element("language", channel.language)
        + _element("itunes:author", channel.author)
        + _element("itunes:explicit", "false")
        + _element("itunes:type", "serial" if channel.kind == "audiobook" else "episodic")
        + CATEGORIES.get(channel.kind, "")
        + _element("podcast:medium", channel.kind)
        + image
        + _element("generator", "Cloud Sound")
        + "".join(items)
        + "</channel></rss>\n"
    )
