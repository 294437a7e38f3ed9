"""POST /recordings/{id}/upload: a new file for an existing recording (chalicelib/replacement.py)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chalicelib.metadata import MAX_LINK_UPLOAD_BYTES


class ReplacementRequest(Struct, kw_only=True):
    size: Annotated[
        int,
        Meta(
            ge=1, le=MAX_LINK_UPLOAD_BYTES, description="the new file's size in bytes: the link takes exactly this many"
        ),
    ]
