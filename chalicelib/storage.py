"""The audio bucket: key layout, uploads, presigned links, deletes (an object written as it comes: object_writer.py).

Layout: `originals/{id}` (the upload, byte-exact; the only prefix that notifies the converter), and for each
conversion of an original, named by that original's ETag, `mp3/{id}/{etag}.mp3` and `peaks/{id}/{etag}.json` (its
waveform). Outputs never go under `originals/`, so the converter cannot trigger itself; a conversion of an original
that has since been replaced writes only its own keys, so it can never overwrite the newer file's.

Writes of an original are conditional (S3's `If-None-Match: *` / `If-Match`): an upload slot takes one file, and a
replacement replaces exactly the file it saw, so of two racing uploads one wins and the other is told.
"""

from __future__ import annotations

import json
import posixpath
import re
import urllib.parse
from typing import Any

from chalicelib.errors import Conflict
from chalicelib.object_writer import PART_BYTES, StreamingWriter

ORIGINALS_PREFIX = "originals/"
MP3_PREFIX = "mp3/"
PEAKS_PREFIX = "peaks/"
COPY_PART_BYTES = 1024 * 1024 * 1024  # a part S3 copies itself may be up to 5 GiB
UPLOAD_HEADERS = {"If-None-Match": "*"}  # what a presigned upload must send: the slot takes one file


def original_key(recording_id: str) -> str:
    return f"{ORIGINALS_PREFIX}{recording_id}"


def mp3_key(recording_id: str, source_etag: str) -> str:
    return f"{MP3_PREFIX}{recording_id}/{source_etag}.mp3"


def peaks_key(recording_id: str, source_etag: str) -> str:
    return f"{PEAKS_PREFIX}{recording_id}/{source_etag}.json"


def recording_id_from_key(key: str) -> str | None:
    """The recording an `originals/` key belongs to; None for any other key."""
    if not key.startswith(ORIGINALS_PREFIX):
        return None
    rest = key[len(ORIGINALS_PREFIX) :]
    return rest if rest and "/" not in rest else None


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266); no header injection."""
    cleaned = "".join(ch for ch in filename if ch.isprintable()) or "recording"
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()\-]", "_", cleaned)
    quoted = urllib.parse.quote(cleaned, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def with_extension(name: str, extension: str) -> str:
    stem, _ = posixpath.splitext(name)
    return f"{stem or name}{extension}"


def download_name(name: str, extension: str) -> str:
    """A download's file name: the recording's name with `extension` (the sniffed format's), whatever extension
    someone typed into the name ("statement.html" downloads as "statement.wav"; "Pilot 2" as "Pilot 2.wav"; a name
    ending in a version number such as "Mix v1.2" keeps it)."""
    stem, typed = posixpath.splitext(name)
    if typed and not typed[1:].isdigit():
        name = stem or name
    return f"{name}{extension}"


class AudioStorage:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def put_original(self, recording_id: str, body: bytes, content_type: str, *, replacing: str | None = None) -> str:
        """Store a recording's file; returns its ETag. With `replacing=None` only if it has no file yet, else only
        if its file is still the one with that ETag: Conflict when another upload got there first."""
        condition = {"IfMatch": f'"{replacing}"'} if replacing else {"IfNoneMatch": "*"}
        try:
            response = self._s3.put_object(
                Bucket=self.bucket, Key=original_key(recording_id), Body=body, ContentType=content_type, **condition
            )
        except self._s3.exceptions.ClientError as error:
            # 412: another file is there now; 409: a write raced ours; NoSuchKey: the file it replaces was deleted.
            if error.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
                "412",
                "409",
                "NoSuchKey",
            ):
                raise Conflict("another upload replaced this recording's file meanwhile; try again") from error
            raise
        etag: str = response["ETag"]
        return etag.strip('"')

    def original_etag(self, recording_id: str) -> str | None:
        """The ETag of the recording's file as S3 holds it now (None: no file): which upload is the current one."""
        head = self.head(original_key(recording_id))
        return head["ETag"].strip('"') if head else None

    def read(self, key: str) -> bytes:
        """A whole (small) object: for clients that expect the bytes in the response, not a redirect."""
        body: bytes = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=key)
            return head
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def presigned_get(
        self,
        key: str,
        expires_in: int,
        filename: str | None = None,
        content_type: str | None = None,
        if_match: str | None = None,
    ) -> str:
        """A SigV4 GET link; with a filename, S3 answers with it as an attachment of that type. With `if_match`, the
        link reads only that version of the object (the reader must send `If-Match: "<etag>"`; S3 answers 412 once
        it has been replaced)."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if if_match is not None:
            params["IfMatch"] = f'"{if_match}"'
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        if content_type is not None:
            params["ResponseContentType"] = content_type
        url: str = self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url

    def presigned_put_original(self, recording_id: str, expires_in: int, size: int) -> str:
        """A SigV4 PUT link for the original of exactly `size` bytes (the length is a signed header: S3 refuses any
        other, so a link takes no more than was reserved), usable once: `If-None-Match: *` is signed into it, so
        the uploader sends that header (UPLOAD_HEADERS) and S3 refuses a second file (412). The Content-Type is not
        signed: `curl -T` and a browser's PUT with the file's own type both work."""
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": original_key(recording_id),
                "IfNoneMatch": "*",
                "ContentLength": size,
            },
            ExpiresIn=expires_in,
        )
        return url

    def open_original(self, recording_id: str, etag: str, size: int) -> Any:
        """One version of a recording's file as a seekable file of ranged reads (chalicelib/object_reader.py)."""
        from chalicelib.object_reader import open_version

        return open_version(self._s3, self.bucket, original_key(recording_id), etag, size)

    def delete_recording(self, recording_id: str) -> None:
        """The recording's file and every conversion's outputs (a conversion still running when the recording is
        deleted removes its own when it finishes)."""
        keys = [original_key(recording_id)]
        for prefix in (f"{MP3_PREFIX}{recording_id}/", f"{PEAKS_PREFIX}{recording_id}/"):
            listed = self._s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=100)
            keys += [item["Key"] for item in listed.get("Contents", [])]
        self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})

    def delete_outputs(self, recording_id: str, source_etag: str) -> None:
        """What one conversion wrote."""
        self._s3.delete_objects(
            Bucket=self.bucket,
            Delete={
                "Objects": [{"Key": mp3_key(recording_id, source_etag)}, {"Key": peaks_key(recording_id, source_etag)}],
                "Quiet": True,
            },
        )

    def put_json(self, key: str, value: object) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(value, separators=(",", ":")).encode(),
            ContentType="application/json",
        )

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def writer(self, key: str, content_type: str) -> StreamingWriter:
        """A writer whose first part (`part_bytes` of the object, plus what goes before them) is given last, to
        `close()`: S3 takes a multipart upload's parts in any order."""
        return StreamingWriter(self._s3, self.bucket, key, content_type)

    def read_range(self, key: str, start: int, end: int) -> bytes | None:
        """Bytes [start, end) of an object (fewer at its end); None if there is no such object."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}")
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "InvalidRange"):
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    def replace_prefix(self, key: str, old_length: int, prefix: bytes, content_type: str) -> int | None:
        """Replace the first `old_length` bytes of an object with `prefix`, the rest unchanged, without fetching the
        rest: S3 copies it into a multipart upload itself (UploadPartCopy), and only the first part goes up from here.
        The object is replaced whole, in one step. Returns its new size; None if it is gone."""
        head = self.head(key)
        if head is None:
            return None
        size: int = head["ContentLength"]
        etag = head["ETag"]
        try:
            if size - old_length <= PART_BYTES:  # small: one PUT of the whole
                rest = (
                    self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={old_length}-", IfMatch=etag)[
                        "Body"
                    ].read()
                    if size > old_length
                    else b""
                )
                # If-Match: deleted or replaced since it was read, the object is not brought back or overwritten.
                self._s3.put_object(
                    Bucket=self.bucket, Key=key, Body=prefix + rest, ContentType=content_type, IfMatch=etag
                )
                return len(prefix) + len(rest)
            writer = StreamingWriter(self._s3, self.bucket, key, content_type)
            try:
                for start in range(old_length + PART_BYTES, size, COPY_PART_BYTES):
                    writer.copy_part(etag, start, min(start + COPY_PART_BYTES, size))
                first = self._s3.get_object(
                    Bucket=self.bucket, Key=key, IfMatch=etag, Range=f"bytes={old_length}-{old_length + PART_BYTES - 1}"
                )["Body"].read()
                writer.close(first=prefix + first, if_match=etag)
            except BaseException:
                writer.abort()
                raise
            return len(prefix) + size - old_length
        except self._s3.exceptions.ClientError as error:
            # Deleted or replaced meanwhile: whoever did that decides what the object is now.
            if error.response.get("Error", {}).get("Code") in (
                "404",
                "NoSuchKey",
                "412",
                "PreconditionFailed",
                "ConditionalRequestConflict",
                "409",
            ):
                return None
            raise
