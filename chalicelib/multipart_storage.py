"""S3's side of an upload in parts: start it, sign a link for one part, list the parts S3 holds, complete, abort.

A part link is a SigV4 presigned UploadPart: the key, the upload id and the part number are in its signed query and
the part's exact length is a signed header, so a link serves that one part of that one upload, of that size, and
nothing else (S3 refuses a changed path or query, 403, and any other length). The parts' ETags are read here, from
S3 (ListParts), never from the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.errors import NotFound

_LIST_PAGE = 1000  # ListParts' largest page
_GONE_CODES = ("NoSuchUpload", "404", "NotFound")


class UploadGone(NotFound):
    """S3 holds no such upload: it was completed, aborted, or expired."""


@dataclass(frozen=True)
class HeldPart:
    number: int
    size: int
    etag: str


class PartStorage:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def start(self, key: str) -> str:
        """A new multipart upload of `key`; its upload id."""
        upload_id: str = self._s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType="application/octet-stream"
        )["UploadId"]
        return upload_id

    def part_link(self, key: str, upload_id: str, number: int, length: int, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": number,
                "ContentLength": length,
            },
            ExpiresIn=expires_in,
        )
        return url

    def held(self, key: str, upload_id: str, first: int = 1, last: int | None = None) -> dict[int, HeldPart]:
        """The parts S3 holds numbered `first`..`last` (all from `first` when `last` is None); UploadGone if the
        upload is not there."""
        parts: dict[int, HeldPart] = {}
        marker = first - 1
        while True:
            try:
                page = self._s3.list_parts(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker, MaxParts=_LIST_PAGE
                )
            except self._s3.exceptions.ClientError as error:
                raise _gone(error) or error from None
            for part in page.get("Parts", []):
                number = int(part["PartNumber"])
                if last is not None and number > last:
                    return parts
                parts[number] = HeldPart(number, int(part["Size"]), str(part["ETag"]))
            if not page.get("IsTruncated") or not page.get("Parts"):
                return parts
            marker = int(page.get("NextPartNumberMarker") or max(parts, default=marker))

    def complete(self, key: str, upload_id: str, parts: list[HeldPart]) -> str:
        """Assemble the object from `parts` (in order); its ETag. UploadGone if the upload is not there (any more)."""
        try:
            response = self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": part.number, "ETag": part.etag} for part in parts]},
            )
        except self._s3.exceptions.ClientError as error:
            raise _gone(error) or error from None
        return str(response["ETag"]).strip('"')

    def abort(self, key: str, upload_id: str) -> bool:
        """Drop the upload and the parts it holds; False if it was not there (completed, or aborted already)."""
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except self._s3.exceptions.ClientError as error:
            if _gone(error) is None:
                raise
            return False
        return True


def _gone(error: Any) -> UploadGone | None:
    if error.response.get("Error", {}).get("Code") in _GONE_CODES:
        return UploadGone("the upload is not there: completed, aborted or expired")
    return None
