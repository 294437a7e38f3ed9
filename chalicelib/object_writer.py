"""An S3 object written from chunks as they come, its first part given last: the converter's MP3 as it is encoded,
and a tag rewritten over the audio that S3 copies itself (storage.py's `replace_prefix`)."""

from __future__ import annotations

from typing import Any

PART_BYTES = 5 * 1024 * 1024  # S3's smallest part but the last: the least held in memory (twice: the head, the next)


class StreamingWriter:
    """Writes an object from chunks without holding it: a multipart upload once it passes one part, else one PUT.

    The first part is given last, to `close(first=...)`: the chunks written before are parts 2, 3, … (S3 takes
    parts in any order and assembles them by number). This is how an MP3 goes up while it is encoded although its
    head (the tag, the Info frame) is only known at the end. The object appears only when `close()` completes it,
    never half-written.
    """

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, part_bytes: int = PART_BYTES) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self.part_bytes = part_bytes
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        while len(self._buffer) >= self.part_bytes:
            with memoryview(self._buffer) as view:  # one copy of the part, not two
                part = bytes(view[: self.part_bytes])
            del self._buffer[: self.part_bytes]
            self._upload_part(part)
            del part

    def copy_part(self, source_etag: str, start: int, end: int) -> None:
        """The next part: bytes [start, end) of this same key as it is now (S3 copies them; nothing comes here)."""
        response = self._s3.upload_part_copy(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload(),
            PartNumber=len(self._parts) + 2,
            CopySource={"Bucket": self._bucket, "Key": self._key},
            CopySourceIfMatch=source_etag,
            CopySourceRange=f"bytes={start}-{end - 1}",
        )
        self._parts.append({"PartNumber": len(self._parts) + 2, "ETag": response["CopyPartResult"]["ETag"]})

    def close(self, first: bytes = b"", if_match: str | None = None) -> None:
        """Complete the object: `first`, then everything written (at least `part_bytes` of `first` if more follows,
        as S3 wants every part but the last to be at least 5 MiB). With `if_match`, only over the object with that
        ETag (S3 answers 412 if it was replaced or deleted meanwhile)."""
        condition = {"IfMatch": if_match} if if_match else {}
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key,
                Body=first + bytes(self._buffer),
                ContentType=self._content_type,
                **condition,
            )
        else:
            if self._buffer:
                self._upload_part(bytes(self._buffer))
            parts = list(self._parts)  # numbered from 2: S3 wants them ascending, not consecutive
            if first:
                response = self._s3.upload_part(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=1, Body=first
                )
                parts.insert(0, {"PartNumber": 1, "ETag": response["ETag"]})
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": parts},
                **condition,
            )
        self._buffer.clear()

    def abort(self) -> None:
        """Drop everything written; the writer can start again."""
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None
        self._parts.clear()
        self._buffer.clear()

    def _upload(self) -> str:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )["UploadId"]
        return self._upload_id

    def _upload_part(self, data: bytes) -> None:
        number = len(self._parts) + 2  # part 1 is the head, given to close()
        response = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload(), PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
