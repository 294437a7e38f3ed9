"""A recording's page (`/r/{id}`, and a share's `/s/{secret}`): what a link preview reads without running anything
(OpenGraph and Twitter card tags, the oEmbed discovery link) and what a listener sees (name, owner, kind fields,
duration, the waveform and a player)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.pages.addresses import EMBED_HEIGHT, EMBED_WIDTH, Addresses, iframe
from chalicelib.pages.markup import document, duration_text, meta_tags, text, waveform_svg
from chalicelib.recording import Recording

FIELD_LABELS = {
    "host": "Host",
    "participants": "Participants",
    "title": "Title",
    "author": "Author",
    "narrator": "Narrator",
}


@dataclass(frozen=True)
class Shown:
    """A recording as a page shows it."""

    recording: Recording
    addresses: Addresses
    peaks: list[float]
    has_cover: bool = False
    download: bool = False  # the viewer may download the original (the owner, or a share that allows it)


def owner_name(recording: Recording) -> str:
    return recording.owner_name or f"user{recording.owner}"


def artist(recording: Recording) -> str | None:
    """Who a listener would say it is by (as the web page says): a podcast's host, an audiobook's author, else the
    original's own artist tag; None when only the owner can be named."""
    fields = recording.kind_fields()
    if recording.kind == "podcast" and fields.get("host"):
        return str(fields["host"])
    if recording.kind == "audiobook" and fields.get("author"):
        return str(fields["author"])
    tagged = (recording.original.get("tags") or {}).get("artist") or []
    return tagged[0] if tagged else None


def description(recording: Recording) -> str:
    parts: list[str] = [recording.kind]
    fields = recording.kind_fields()
    for name in ("host", "author", "narrator"):
        if fields.get(name):
            parts.append(f"{FIELD_LABELS[name].lower()}: {fields[name]}")
    if recording.duration is not None:
        parts.append(duration_text(recording.duration))
    return f"By {owner_name(recording)} · " + " · ".join(parts)


def preview_tags(shown: Shown) -> str:
    recording, at = shown.recording, shown.addresses
    tags = [
        ("og:site_name", "Cloud Sound"),
        ("og:title", recording.name),
        ("og:type", "music.song" if recording.kind == "song" else "website"),
        ("og:url", at.page),
        ("og:description", description(recording)),
    ]
    if recording.status == "ready":
        tags += [
            ("og:audio", at.audio),
            ("og:audio:secure_url", at.audio) if at.base.startswith("https:") else ("og:audio:url", at.audio),
            ("og:audio:type", "audio/mpeg"),
        ]
    if shown.has_cover:
        tags += [("og:image", at.cover), ("twitter:image", at.cover)]
    tags += [
        ("twitter:card", "player"),
        ("twitter:title", recording.name),
        ("twitter:description", description(recording)),
        ("twitter:player", at.embed),
        ("twitter:player:width", str(EMBED_WIDTH)),
        ("twitter:player:height", str(EMBED_HEIGHT)),
    ]
    if recording.status == "ready":
        tags += [("twitter:player:stream", at.audio), ("twitter:player:stream:content_type", "audio/mpeg")]
    oembed = (
        f'<link rel="alternate" type="application/json+oembed" href="{text(at.oembed)}" title="{text(recording.name)}">'
    )
    unlisted = '<meta name="robots" content="noindex">\n' if at.share or recording.visibility != "public" else ""
    return unlisted + meta_tags(tags) + f'\n<link rel="canonical" href="{text(at.page)}">\n' + oembed


def fields_list(recording: Recording) -> str:
    rows = [("Kind", recording.kind), ("Duration", duration_text(recording.duration))]
    for name, value in recording.kind_fields().items():
        rows.append((FIELD_LABELS.get(name, name), ", ".join(value) if isinstance(value, tuple) else value))
    rows.append(("Added", recording.created_at[:10]))
    return "<dl>" + "".join(f"<dt>{text(label)}</dt><dd>{text(value)}</dd>" for label, value in rows if value) + "</dl>"


def recording_page(shown: Shown) -> str:
    recording, at = shown.recording, shown.addresses
    cover = f'<img class="cover" src="{text(at.cover)}" alt="cover">' if shown.has_cover else ""
    player = (
        f'<audio controls preload="none" src="{text(at.audio)}"></audio>'
        if recording.status == "ready"
        else f"<p>This recording is {text(recording.status)}: try again shortly.</p>"
    )
    by = f"{text(named)} · " if (named := artist(recording)) else ""
    download = ""
    if shown.download and recording.status == "ready":
        download = f'<p><a href="{text(at.audio)}">Download the MP3</a></p>'
    body = (
        f"<main>{cover}<h1>{text(recording.name)}</h1>"
        f'<p class="meta">by {by}<a href="{text(at.person(recording.owner))}">{text(owner_name(recording))}</a></p>'
        f"{waveform_svg(shown.peaks)}{player}{download}{fields_list(recording)}"
        f"<details><summary>Embed</summary><p>Copy this into a page:</p>"
        f"<pre>{text(iframe(at))}</pre></details>"
        f'<p><a href="{text(at.base)}/">Cloud Sound</a></p></main>'
    )
    return document(f"{recording.name} · Cloud Sound", body, head=preview_tags(shown))


def not_found_page(base: str) -> str:
    body = (
        "<main><h1>Not found</h1><p id='not-found'>There is no such recording, or it is private, or the link has "
        f'expired or been revoked.</p><p><a href="{text(base)}/">Cloud Sound</a></p></main>'
    )
    return document("Not found · Cloud Sound", body)
