"""A recording's cover: the picture its original carried, which its MP3 keeps as an ID3 APIC frame. The first
request for it reads the MP3's tag (a ranged read of its head), copies the picture out beside the conversion's
peaks (`peaks/{id}/{etag}.cover`, gone with the recording), and every request after that is one HEAD and a
presigned link. A recording without one gets an empty object there, so it is not read again."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import aws, wiring
from chalicelib.config import settings
from chalicelib.recording import Recording
from chalicelib.storage import PEAKS_PREFIX, mp3_key

PICTURE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
_HEAD_READ = 1 << 16
_MAX_TAG = 16 << 20


@dataclass(frozen=True)
class Cover:
    key: str
    content_type: str
    size: int
    width: int = 0  # pixels, where the picture's header says (0: not known)
    height: int = 0


def cover_key(recording: Recording) -> str:
    return f"{PEAKS_PREFIX}{recording.id}/{recording.source_etag}.cover"


def cover_of(recording: Recording) -> Cover | None:
    """The recording's cover as kept in S3 (found in its MP3 the first time), or None."""
    if recording.status != "ready" or not recording.source_etag:
        return None
    storage = wiring.audio_storage()
    key = cover_key(recording)
    head = storage.head(key)
    if head is None:
        from chalicelib.oembed import picture_size

        data, mime = _picture_in_mp3(recording)
        width, height = picture_size(data) or (0, 0)
        metadata = {"width": str(width), "height": str(height)}
        aws.s3().put_object(Bucket=settings().bucket, Key=key, Body=data, ContentType=mime, Metadata=metadata)
        head = {"ContentLength": len(data), "ContentType": mime, "Metadata": metadata}
    size, mime = int(head.get("ContentLength") or 0), str(head.get("ContentType") or "")
    metadata = head.get("Metadata") or {}
    width, height = (
        int(metadata.get(name, "0")) if str(metadata.get(name, "0")).isdigit() else 0 for name in ("width", "height")
    )
    return Cover(key, mime, size, width, height) if size and mime in PICTURE_TYPES else None


def cover_link(cover: Cover) -> str:
    return wiring.audio_storage().presigned_get(cover.key, settings().link_ttl_seconds, content_type=cover.content_type)


def _picture_in_mp3(recording: Recording) -> tuple[bytes, str]:
    """The front cover (else the first picture) of the MP3's tag; empty when there is none."""
    from chalicelib.audio.mp3_tags import read_tag, tag_size

    storage = wiring.audio_storage()
    key = mp3_key(recording.id, recording.source_etag or "")
    head = storage.read_range(key, 0, _HEAD_READ)
    if not head or len(head) < 10:
        return b"", "application/x-empty"
    length = tag_size(head[:10])
    if not length or length > _MAX_TAG:
        return b"", "application/x-empty"
    if length > len(head):
        head = storage.read_range(key, 0, length) or b""
    try:
        found = read_tag(head[:length]).pictures
    except Exception:  # a tag that cannot be read has no cover to show; the audio is what matters
        found = ()
    pictures = [picture for picture in found if picture.mime in PICTURE_TYPES]
    pictures.sort(key=lambda picture: picture.type != 3)
    return (pictures[0].data, pictures[0].mime) if pictures else (b"", "application/x-empty")
