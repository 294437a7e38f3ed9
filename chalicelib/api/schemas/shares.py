"""Share links (POST|GET /recordings/{id}/shares, DELETE …/shares/{share_id}) and the `?share=` a read takes."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chalicelib.shares import MAX_EXPIRES_IN

Secret = Annotated[str, Meta(max_length=64, description="the secret of a share link (the last part of its URL)")]


class NewShare(Struct, kw_only=True):
    """POST /recordings/{id}/shares: no `expires_in`, a link that lasts until revoked."""

    expires_in: Annotated[int, Meta(ge=1, le=MAX_EXPIRES_IN, description="seconds the link lives")] | None = None
    download: Annotated[bool, Meta(description="whether the link also downloads the original")] = False


class Share(Struct, kw_only=True):
    id: str
    recording_id: str
    url: Annotated[str, Meta(description="<base>/s/<secret>: only in the answer that made it")] | None = None
    expires_at: Annotated[str, Meta(description="UTC, ISO 8601; null: until revoked")] | None
    expired: bool
    download: bool
    created_at: str


class ShareList(Struct):
    items: list[Share]


class ShareParams(Struct, kw_only=True):
    """A read of one recording through a share link."""

    share: Secret | None = None
