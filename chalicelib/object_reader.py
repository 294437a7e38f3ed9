"""One version of an S3 object as a seekable, read-only file: each read is a ranged GET pinned to the ETag, so a
parser (mutagen sniffing an upload) reads only the headers it needs of a file of any size, and a file replaced
meanwhile fails rather than mixing two versions."""

from __future__ import annotations

import io
from typing import Any


class ObjectVersionChanged(Exception):
    """The object was replaced or deleted while it was being read."""


class RangedObject(io.RawIOBase):
    def __init__(self, s3: Any, bucket: str, key: str, etag: str, size: int) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._etag = etag
        self.size = size
        self._position = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self._position)
        if wanted <= 0:
            return 0
        end = self._position + wanted - 1
        self.requests += 1
        try:
            body = self._s3.get_object(
                Bucket=self._bucket, Key=self._key, IfMatch=f'"{self._etag}"', Range=f"bytes={self._position}-{end}"
            )["Body"].read()
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "412", "PreconditionFailed"):
                raise ObjectVersionChanged(self._key) from error
            raise
        buffer[: len(body)] = body
        self._position += len(body)
        return len(body)


def open_version(
    s3: Any, bucket: str, key: str, etag: str, size: int, buffer_bytes: int = 1 << 16
) -> io.BufferedReader:
    """The object's version `etag` as a buffered file (reads of `buffer_bytes` at least: one GET per 64 KiB)."""
    return io.BufferedReader(RangedObject(s3, bucket, key, etag, size), buffer_size=buffer_bytes)
