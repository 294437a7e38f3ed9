"""Uploads in parts (S3 multipart): the upload object of POST /recordings, the upload's state (GET
/recordings/{id}/upload) and its query."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

PartNumber = Annotated[int, Meta(ge=1, le=10_000)]


class MultipartUpload(Struct, kw_only=True, tag_field="method", tag="multipart"):
    """Where a file announced in parts goes: ask `url` (GET) for the parts' links, PUT each part, then POST
    `url` + "/complete"."""

    size: Annotated[int, Meta(description="the declared size, reserved against the quota")]
    part_size: Annotated[int, Meta(description="every part has this many bytes but the last, which has the rest")]
    part_count: int
    url: Annotated[str, Meta(description="the upload's state: GET it for the parts' links")]
    expires_at: Annotated[str, Meta(description="unfinished by then, the upload is dropped and its space freed")]


class UploadPart(Struct):
    number: PartNumber
    size: Annotated[int, Meta(description="the exact length the part's PUT must have")]
    etag: Annotated[str | None, Meta(description="S3's ETag of the part it holds; null while missing")]
    url: Annotated[str | None, Meta(description="a presigned PUT for a missing part; null once S3 has it")]


class UploadState(Struct, kw_only=True):
    """An upload in parts as S3 holds it: every part of this page, held (etag) or missing (url)."""

    method: Literal["multipart"]
    size: int
    part_size: int
    part_count: int
    expires_at: str
    parts: list[UploadPart]
    next_cursor: Annotated[str | None, Meta(description="the next page's first part (cursor); null at the end")]


class UploadPartsParams(Struct, kw_only=True):
    """GET /recordings/{id}/upload: a page of parts."""

    cursor: Annotated[str, Meta(pattern="^[1-9][0-9]{0,4}$", description="the first part of the page")] | None = None
    limit: Annotated[int, Meta(ge=1, le=1000, description="parts in the page (default 1000)")] | None = None
