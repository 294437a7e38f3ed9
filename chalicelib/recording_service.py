"""What the service does with recordings, independent of HTTP: upload, read, list, edit, delete, links, waiting.

Every read of one recording goes through `visible` (the recording's visibility rule) and every change through
`owned` (visible, and the caller's own: anyone else who can see it gets NotOwner), for the primary API and the
compatibility routes alike.
"""

from __future__ import annotations

import builtins
import datetime
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping

from chalicelib.audio.sniff import AudioKind, UnreadableAudio, identify_audio
from chalicelib.downloads import AudioFile, audio_file
from chalicelib.errors import NotAudio, NotFound, NotOwner
from chalicelib.listing import ListQuery, list_recordings
from chalicelib.metadata import clean_filename, declared_size, validate_metadata
from chalicelib.naming import default_name, slot_names
from chalicelib.quotas import Quota, Quotas
from chalicelib.reservations import Reservations, release
from chalicelib.recording import Original, Recording, RecordingChanges, Status, Usage, looks_like_id, new_recording
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import UPLOAD_HEADERS, AudioStorage, peaks_key
from chalicelib.tagging import Mp3Tagger, tags_for
from chalicelib.users import User
from chalicelib.webhook_events import notify

log = logging.getLogger("cloudsound.recordings")


@dataclass(frozen=True)
class LinkTimes:
    """How long presigned links live: downloads, and upload slots."""

    download_seconds: int
    upload_seconds: int


class RecordingService:
    def __init__(self, store: RecordingStore, storage: AudioStorage, links: LinkTimes, quotas: Quotas) -> None:
        self.store = store
        self.storage = storage
        self.links = links
        self.quotas = quotas
        self.tagger = Mp3Tagger(store, storage)
        self.reservations = Reservations(store, quotas)
        self.on_delete: list[Callable[[str], None]] = []  # what else goes with a deleted recording (its shares)

    # ---- creating ---------------------------------------------------------------------------------------------

    def upload(
        self,
        owner: User,
        body: bytes,
        *,
        filename: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        formats: tuple[str, ...] | None = None,
        spec_names: bool = False,
    ) -> Recording:
        """Store an uploaded file as a new recording (status `processing`); S3's event starts the conversion.
        `formats` narrows what is accepted (the PigWav and task-2 specs take WAV only); `spec_names`: with no name
        given, the earlier specs' (the file's whole name, or "recording.<format>"), not naming.default_name."""
        metadata = dict(metadata or {})
        given = metadata.get("name")
        audio = _identify(body)
        if formats is not None and audio.format not in formats:
            raise NotAudio(f"only {', '.join(f.upper() for f in formats)} recordings are accepted here")
        if isinstance(given, str) and given.strip():
            metadata["name"] = given.strip()
        elif spec_names:
            metadata["name"] = clean_filename(filename) or f"recording.{audio.format}"
        else:
            metadata["name"] = default_name(filename)
        original: Original = {"content_type": audio.content_type, "size": len(body), "format": audio.format}
        if kept_name := clean_filename(filename):
            original["filename"] = kept_name
        recording = self._new(owner, metadata, status="processing", original=original)
        # Metadata first, then the object: the converter's event always finds its recording, and the body's bytes
        # are reserved before they are stored. If the object cannot be stored, the metadata goes too, so a failed
        # upload leaves nothing behind.
        self.reservations.create(recording)
        try:
            self.storage.put_original(recording.id, body, audio.content_type)
        except BaseException:
            self.store.delete(recording.id)
            raise
        return recording

    def create_pending(
        self, owner: User, metadata: Mapping[str, Any], *, expires: bool = True, extra: Mapping[str, Any] | None = None
    ) -> tuple[Recording, dict[str, Any] | None]:
        """A recording waiting for its file, and where to PUT it (straight to S3): the declared `size` is reserved
        against the quota and signed into the link, which takes exactly that many bytes. Uploading there starts the
        same conversion as a direct upload. Unused, it expires (`expires_at`, DynamoDB's TTL) and its reservation
        is released, unless it is a metadata-first record (the audio file server's clients create those and attach
        files later, through the API, reserving then): without a `size`, such a record gets no link."""
        ttl = self.links.upload_seconds
        now = time.time()
        metadata, original = slot_names(metadata)
        extra = {**(extra or {}), **({"expires_at": int(now + 2 * ttl)} if expires else {})}
        recording = self._new(owner, metadata, status="awaiting_upload", original=original, extra=extra)
        size = declared_size(metadata.get("size"), required=expires)
        recording = recording.with_changes({"reserved": size})
        if size is None:
            self.store.create(recording)
            return recording, None
        self.reservations.create(recording)
        return recording, {
            "url": self.storage.presigned_put_original(recording.id, ttl, size),
            "method": "PUT",
            "headers": dict(UPLOAD_HEADERS),
            "expires_at": datetime.datetime.fromtimestamp(now + ttl, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "size": size,
            "max_bytes": size,
        }

    def attach_original(self, recording_id: str, user: User, body: bytes) -> Recording:
        """Store (or replace) the file of one's own recording; its S3 event converts it. The newest upload wins:
        the file is replaced only if it is still the one this call found in S3 a moment before (If-Match; Conflict
        if another upload got there in between), and the conversion of the file it replaced can no longer finish
        over it. The body's bytes are reserved before it is stored (the file it replaces gives its own back)."""
        recording = self.owned(recording_id, user)
        audio = _identify(body)
        size = len(body)
        self.reservations.hold(recording, size, freed_bytes=int(recording.original.get("size") or 0))
        try:
            etag = self.storage.put_original(
                recording_id, body, audio.content_type, replacing=self.storage.original_etag(recording_id)
            )
        except BaseException:
            self.store.modify(recording_id, lambda current: release(current, size))
            raise
        original: Original = {"content_type": audio.content_type, "size": size, "format": audio.format}

        def change(current: Recording) -> RecordingChanges:
            released = release(current, size)
            if current.converted_from(etag):
                return released  # converted already, faster than this write
            if self.storage.original_etag(recording_id) != etag:
                return released  # replaced again meanwhile: the newer upload's own write tells its state
            return {**released, "status": "processing", "error": None, "expires_at": None, "original": original}

        return self.store.modify(recording_id, change)

    def _new(
        self,
        owner: User,
        metadata: Mapping[str, Any],
        *,
        status: Status,
        original: Original | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Recording:
        attributes = {name: value for name, value in validate_metadata(metadata).items() if value is not None}
        return new_recording(
            owner.id,
            attributes.pop("name"),
            status=status,
            original=original,
            owner_name=owner.name,
            **attributes,
            **(extra or {}),
        )

    # ---- reading ----------------------------------------------------------------------------------------------

    def visible(self, recording_id: str, viewer_id: int | None) -> Recording:
        """The recording, if `viewer_id` may see it; NotFound otherwise, as for an id that does not exist."""
        recording = self.store.get(recording_id) if looks_like_id(recording_id) else None
        if recording is None or not recording.visible_to(viewer_id):
            raise NotFound(f"no recording {recording_id}")
        return recording

    def owned(self, recording_id: str, user: User) -> Recording:
        return _owned_by(self.visible(recording_id, user.id), user)

    def list(self, query: ListQuery, viewer_id: int | None) -> tuple[list[Recording], str | None]:
        return list_recordings(self.store, query, viewer_id)

    def named(self, name: str, viewer_id: int | None, limit: int = 50) -> builtins.list[Recording]:
        """Listed recordings with exactly this name, newest first: names are not unique."""
        recordings, _ = self.list(ListQuery(name=name, limit=limit), viewer_id)
        if not recordings:
            raise NotFound(f"no recording named {name!r}")
        return recordings

    def usage(self, user: User) -> tuple[Usage, Quota]:
        """What the user's recordings use, and what their quota allows."""
        return self.store.usage(user.id), self.quotas.of(user.id)

    def converted(
        self, recording_id: str, viewer_id: int | None, wait_seconds: float, poll_seconds: float = 0.25
    ) -> Recording:
        """The recording once its conversion under way has ended, waiting up to `wait_seconds` for it (the earlier
        specs converted before answering); still converting then, it is returned as it is."""
        deadline = time.monotonic() + wait_seconds
        while True:
            recording = self.visible(recording_id, viewer_id)
            if recording.status != "processing" or time.monotonic() >= deadline:
                return recording
            time.sleep(poll_seconds)

    # ---- changing ---------------------------------------------------------------------------------------------

    def update(self, recording_id: str, user: User, changes: Mapping[str, Any]) -> Recording:
        """Edit one's own recording's metadata. Raced by another writer, it is re-decided on what is there now; a
        recording deleted meanwhile is NotFound (RecordingGone)."""

        def change(current: Recording) -> dict[str, Any]:
            _owned_by(current if current.visible_to(user.id) else None, user, recording_id)
            return validate_metadata(changes, current)

        before = self.owned(recording_id, user)
        updated = self.store.modify(before, change)
        if updated.status == "ready" and tags_for(updated) != tags_for(before):
            # The MP3 says what the recording says: its tag is rewritten now (the audio is copied by S3, not here).
            try:
                return self.tagger.sync(updated.id) or updated
            except Exception:  # the edit stands; the tag catches up with the next one
                log.exception("could not retag the MP3 of %s", recording_id)
        return updated

    def delete(self, recording_id: str, user: User) -> None:
        recording = self.owned(recording_id, user)
        # The metadata goes first: a conversion finishing after this finds no recording and removes its own MP3.
        self.store.delete(recording_id)
        self.storage.delete_recording(recording_id)
        for forget in self.on_delete:
            forget(recording_id)
        notify("recording.deleted", recording)  # the owner's webhooks, through their own queue

    # ---- audio ------------------------------------------------------------------------------------------------

    def audio_file(self, recording: Recording, audio_format: str = "mp3") -> AudioFile:
        """The stored file a download of `recording` serves (downloads.py), or NotReady (409) while there is none."""
        return audio_file(recording, audio_format)

    def audio_link(self, recording_id: str, viewer_id: int | None, audio_format: str = "mp3") -> str:
        return self.presigned(self.audio_file(self.visible(recording_id, viewer_id), audio_format))

    def peaks(self, recording_id: str, viewer_id: int | None) -> dict[str, Any]:
        """The waveform: up to 1,000 peaks (0..1) spread evenly over `duration` seconds."""
        recording = self.visible(recording_id, viewer_id)
        self.audio_file(recording, "mp3")  # the same 409 while there is no conversion yet
        peaks: dict[str, Any] = json.loads(self.storage.read(peaks_key(recording_id, recording.source_etag or "")))
        return peaks

    def presigned(self, audio: AudioFile) -> str:
        return self.storage.presigned_get(
            audio.key, self.links.download_seconds, filename=audio.filename, content_type=audio.content_type
        )

    def read(self, audio: AudioFile) -> bytes:
        """A whole (small) file, for clients that expect the bytes in the answer rather than a link."""
        return self.storage.read(audio.key)


def _owned_by(recording: Recording | None, user: User, recording_id: str = "") -> Recording:
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    if recording.owner != user.id:
        raise NotOwner("only the owner of a recording can change or delete it")
    return recording


def _identify(body: bytes) -> AudioKind:
    try:
        return identify_audio(body)
    except UnreadableAudio as error:
        raise NotAudio(f"not audio: {error.reason}") from None
