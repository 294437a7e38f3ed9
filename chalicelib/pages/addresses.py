"""The stable addresses of a recording (its page, audio, cover, embed, oEmbed), with the share it is seen through."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

EMBED_WIDTH = 480
EMBED_HEIGHT = 160


@dataclass(frozen=True)
class Addresses:
    base: str
    recording_id: str
    share: str | None = None

    @property
    def _query(self) -> str:
        return f"?share={urllib.parse.quote(self.share, safe='')}" if self.share else ""

    @property
    def page(self) -> str:
        if self.share:
            return f"{self.base}/s/{urllib.parse.quote(self.share, safe='')}"
        return f"{self.base}/r/{self.recording_id}"

    @property
    def audio(self) -> str:
        """Never expires: answers HEAD and redirects GET to a fresh presigned link."""
        return f"{self.base}/recordings/{self.recording_id}/audio.mp3{self._query}"

    @property
    def cover(self) -> str:
        return f"{self.base}/recordings/{self.recording_id}/cover{self._query}"

    @property
    def embed(self) -> str:
        return f"{self.base}/embed/{self.recording_id}{self._query}"

    @property
    def oembed(self) -> str:
        return f"{self.base}/oembed?url={urllib.parse.quote(self.page, safe='')}&format=json"

    def person(self, user_id: int) -> str:
        return f"{self.base}/u/{user_id}"


def iframe(addresses: Addresses, width: int = EMBED_WIDTH, height: int = EMBED_HEIGHT) -> str:
    from chalicelib.pages.markup import attr

    return (
        f'<iframe src="{attr(addresses.embed)}" width="{width}" height="{height}" frameborder="0" '
        f'allow="autoplay" title="Cloud Sound player"></iframe>'
    )
