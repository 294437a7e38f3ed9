"""A person's page (`/u/{id}`): their public recordings, newest first, and their feeds."""

from __future__ import annotations

from chalicelib.pages.addresses import Addresses
from chalicelib.pages.markup import document, duration_text, meta_tags, text
from chalicelib.recording import Recording
from chalicelib.users import User


def person_page(user: User, recordings: list[Recording], base: str) -> str:
    page = f"{base}/u/{user.id}"
    items = (
        "".join(
            f'<li><a href="{text(Addresses(base, recording.id).page)}">{text(recording.name)}</a> '
            f'<span class="meta">{text(recording.kind)} · {text(duration_text(recording.duration))}</span></li>'
            for recording in recordings
        )
        or "<li>No public recordings yet.</li>"
    )
    feeds = "".join(
        f'<li><a href="{text(base)}/users/{user.id}/feed.rss?kind={kind}">{label} feed (RSS)</a></li>'
        for kind, label in (("podcast", "Podcast"), ("audiobook", "Audiobook"))
    )
    alternates = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{text(user.name)}: {kind}s" '
        f'href="{text(base)}/users/{user.id}/feed.rss?kind={kind}">\n'
        for kind in ("podcast", "audiobook")
    )
    head = (
        meta_tags(
            [
                ("og:site_name", "Cloud Sound"),
                ("og:title", user.name),
                ("og:type", "profile"),
                ("og:url", page),
                ("twitter:card", "summary"),
                ("twitter:title", user.name),
            ]
        )
        + "\n"
        + alternates
    )
    body = (
        f'<main><h1>{text(user.name)}</h1><p class="meta">on Cloud Sound since {text(user.created_at[:10])}</p>'
        f"<h2>Recordings</h2><ul>{items}</ul><h2>Feeds</h2><ul>{feeds}</ul>"
        f'<p><a href="{text(base)}/">Cloud Sound</a></p></main>'
    )
    return document(f"{user.name} · Cloud Sound", body, head=head)
