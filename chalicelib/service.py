"""What the API does with recordings, independent of HTTP: upload, read, list, delete, links.

Visibility: a private recording, or one whose file was never uploaded, exists only for its owner: anyone else gets
NotFound, exactly as for an id that does not exist. Changing or deleting needs the owner: anyone else who can see
the recording gets Forbidden.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from typing import Any, Mapping

from chalicelib.audio.sniff import NotAudio, identify_audio
from chalicelib.config import settings
from chalicelib.errors import Forbidden, NotFound, NotReady, UnsupportedMedia
from chalicelib.listing import ListQuery, list_recordings
from chalicelib.metadata import validate_metadata
from chalicelib.recordings import RecordingStore, index_attributes, new_recording
from chalicelib.storage import AudioStorage, mp3_key, original_key, peaks_key, with_extension
from chalicelib.uploads import Upload, clean_filename
from chalicelib.users import User

FORMATS = ("mp3", "original")
MAX_PRESIGNED_UPLOAD_BYTES = 5 * 1024**3  # S3's limit for one PUT


@dataclass(frozen=True)
class AudioFile:
    """One stored rendition of a recording, as a download offers it."""

    key: str
    filename: str
    content_type: str
    size: int | None


class RecordingService:
    def __init__(self, store: RecordingStore, storage: AudioStorage) -> None:
        self.store = store
        self.storage = storage

    @classmethod
    def from_settings(cls) -> "RecordingService":
        return cls(RecordingStore.from_settings(), AudioStorage.from_settings())

    def upload(self, owner: User, upload: Upload, metadata: Mapping[str, Any] | None = None,
               formats: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Store an uploaded file as a new recording (status `processing`); S3's event starts the conversion.
        `formats` narrows what is accepted (the PigWav and task-2 specs take WAV only)."""
        metadata = dict(metadata or {})
        metadata["name"] = clean_filename(metadata.get("name")) or clean_filename(upload.filename)
        kind = _identify(upload)
        if formats is not None and kind.format not in formats:
            raise UnsupportedMedia(f"only {', '.join(f.upper() for f in formats)} recordings are accepted here")
        metadata["name"] = metadata["name"] or f"recording.{kind.format}"
        item = self._new(owner, metadata, status="processing",
                         original={"content_type": kind.content_type, "size": len(upload.body), "format": kind.format})
        # Metadata first, then the object: the converter's event always finds its recording. If the object cannot
        # be stored, the metadata goes too, so a failed upload leaves nothing behind.
        self.store.create(item)
        try:
            self.storage.put_original(item["id"], upload.body, kind.content_type)
        except BaseException:
            self.store.delete(item["id"])
            raise
        return item

    def create_pending(self, owner: User, metadata: Mapping[str, Any], *, expires: bool = True,
                       extra: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """A recording waiting for its file, and where to PUT it (any size up to 5 GiB, straight to S3). Uploading
        there starts the same conversion as a direct upload. Unused, it expires (`expires_at`, DynamoDB's TTL),
        unless it is a metadata-first record (the audio file server's clients create those and attach files later)."""
        ttl = settings().upload_ttl_seconds
        now = time.time()
        if not metadata.get("name") and metadata.get("kind") not in ("song", "podcast"):  # those need a name
            metadata = {**metadata, "name": metadata.get("title") or "recording"}
        extra = {**(extra or {}), **({"expires_at": int(now + 2 * ttl)} if expires else {})}
        item = self._new(owner, metadata, status="awaiting_upload", extra=extra)
        self.store.create(item)
        upload = {
            "url": self.storage.presigned_put_original(item["id"], ttl),
            "method": "PUT",
            "headers": {},
            "expires_at": datetime.datetime.fromtimestamp(now + ttl, datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "max_bytes": MAX_PRESIGNED_UPLOAD_BYTES,
        }
        return item, upload

    def attach_original(self, recording_id: str, user: User, upload: Upload) -> dict[str, Any]:
        """Store (or replace) the file of an existing recording; its S3 event converts it."""
        item = self.owned(recording_id, user)
        kind = _identify(upload)
        original = {"content_type": kind.content_type, "size": len(upload.body), "format": kind.format}
        self.storage.put_original(recording_id, upload.body, kind.content_type)
        changes: dict[str, Any] = {"status": "processing", "error": None, "expires_at": None, "original": original}
        changes.update(index_attributes({**item, **changes}))
        return self.store.update(recording_id, changes)

    def newest_named(self, name: str, viewer_id: int | None, limit: int = 50) -> list[dict[str, Any]]:
        """Listed recordings with exactly this name, newest first: names are not unique."""
        items, _ = self.list(ListQuery(name=name, limit=limit), viewer_id)
        if not items:
            raise NotFound(f"no recording named {name!r}")
        return items

    def update(self, recording_id: str, user: User, changes: Mapping[str, Any]) -> dict[str, Any]:
        item = self.owned(recording_id, user)
        attributes = validate_metadata(changes, item)
        attributes.update(index_attributes({**item, **attributes}))
        return self.store.update(recording_id, attributes)

    def _new(self, owner: User, metadata: Mapping[str, Any], *, status: str,
             original: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        attributes = validate_metadata(metadata)
        fields = {key: value for key, value in attributes.items()
                  if key not in ("name", "kind", "visibility") and value is not None}
        return new_recording(
            owner.id, attributes["name"], status=status, kind=attributes["kind"],
            visibility=attributes.get("visibility", "public"), original=original, fields={**fields, **(extra or {})},
        )

    def visible(self, recording_id: str, viewer_id: int | None) -> dict[str, Any]:
        item = self.store.get(recording_id) if _looks_like_id(recording_id) else None
        if item is None or (not _listed(item) and item["owner"] != viewer_id) or _expired(item):
            raise NotFound(f"no recording {recording_id}")
        return item

    def owned(self, recording_id: str, user: User) -> dict[str, Any]:
        item = self.visible(recording_id, user.id)
        if item["owner"] != user.id:
            raise Forbidden("only the owner of a recording can change or delete it")
        return item

    def delete(self, recording_id: str, user: User) -> None:
        self.owned(recording_id, user)
        # The metadata goes first: a conversion finishing meanwhile finds no recording and removes its own MP3.
        self.store.delete(recording_id)
        self.storage.delete_recording(recording_id)

    def list(self, query: ListQuery, viewer_id: int | None) -> tuple[list[dict[str, Any]], str | None]:
        return list_recordings(self.store, query, viewer_id)

    def audio_file(self, item: dict[str, Any], audio_format: str = "mp3") -> AudioFile:
        """The stored file a download of `item` serves, or NotReady (409) with the status while there is none."""
        if audio_format == "original":
            if item["status"] == "awaiting_upload":
                raise NotReady("the file has not been uploaded yet", status=item["status"], retry_after=5)
            original = item.get("original") or {}
            return AudioFile(original_key(item["id"]), item["name"],
                             original.get("content_type") or "application/octet-stream", original.get("size"))
        if item["status"] != "ready":
            if item["status"] == "failed":
                raise NotReady(f"the conversion failed: {item.get('error')}; the original is still available",
                               status="failed")
            raise NotReady("the MP3 is not ready yet, try again shortly", status=item["status"], retry_after=2)
        return AudioFile(mp3_key(item["id"]), with_extension(item["name"], ".mp3"), "audio/mpeg",
                         (item.get("mp3") or {}).get("size"))

    def audio_link(self, recording_id: str, viewer_id: int | None, audio_format: str = "mp3") -> str:
        return self.presigned(self.audio_file(self.visible(recording_id, viewer_id), audio_format))

    def peaks(self, recording_id: str, viewer_id: int | None) -> dict[str, Any]:
        """The waveform: up to 1,000 peaks (0..1) spread evenly over `duration` seconds."""
        item = self.visible(recording_id, viewer_id)
        self.audio_file(item, "mp3")  # the same 409 while there is no conversion yet
        return json.loads(self.storage.read(peaks_key(recording_id)))

    def presigned(self, audio: AudioFile) -> str:
        return self.storage.presigned_get(audio.key, settings().link_ttl_seconds, filename=audio.filename,
                                          content_type=audio.content_type)


def _identify(upload: Upload) -> Any:
    try:
        return identify_audio(upload.body)
    except NotAudio as error:
        raise UnsupportedMedia(f"not audio: {error.reason}") from None


def _expired(item: dict[str, Any]) -> bool:
    """An upload slot nobody used: DynamoDB's TTL deletes it within a day or two; until then it is already gone."""
    return item.get("status") == "awaiting_upload" and item.get("expires_at", float("inf")) <= time.time()


def _listed(item: dict[str, Any]) -> bool:
    return item.get("visibility") == "public" and item.get("status") != "awaiting_upload"


def _looks_like_id(value: str) -> bool:
    return 0 < len(value) <= 64 and all(ch.isalnum() or ch == "-" for ch in value)
