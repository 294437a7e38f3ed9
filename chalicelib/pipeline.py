"""The converter's shell: S3 event → fetch → convert (the pure audio core) → store. Imperative, and idempotent.

S3 and SQS deliver at least once, so everything here tolerates repeats:
- the `s3:TestEvent` S3 sends when the notification is configured is ignored;
- keys arrive URL-encoded (moto encodes even '/'), and are decoded before use;
- an event for a recording or object that no longer exists is ignored, and creates nothing;
- a second delivery for an object version already converted (or already failed) is skipped;
- the MP3 becomes visible only when its upload completes, and the metadata turns `ready` after that, in one
  conditional write that never recreates a deleted recording.
A file that cannot be decoded is a result, not an error: the recording reads `failed` with the reason and the
original is kept. Anything else (S3 or DynamoDB unavailable) raises, so SQS retries and, after N receives, moves
the message to the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

from chalicelib import logs
from chalicelib.audio.convert import (
    Conversion, ConversionError, SegmentsFailed, SourceUnavailable, TooLong, convert_to_mp3,
)
from chalicelib.audio.sniff import NOT_AUDIO, AudioKind, UnreadableAudio, identify_stream
from chalicelib.errors import ItemTooLarge, RecordingGone
from chalicelib.object_reader import ObjectVersionChanged
from chalicelib.quotas import Quotas, conversion_fits, describe
from chalicelib.recording import Recording, Usage
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import AudioStorage, StreamingWriter, mp3_key, peaks_key, recording_id_from_key
from chalicelib.tagging import Mp3Tagger, original_tags, tag_bytes, tags_for

log = logging.getLogger("cloudsound.pipeline")
_SOURCE_LINK_SECONDS = 6 * 3600


@dataclass(frozen=True)
class CreatedObject:
    """One ObjectCreated record. S3's own events carry the object's ETag and size, which spares a HeadObject."""

    bucket: str
    key: str
    etag: str | None = None
    size: int | None = None


def s3_objects(message_bodies: Iterable[str]) -> list[CreatedObject]:
    """Every ObjectCreated record in a batch of SQS message bodies."""
    objects = []
    for body in message_bodies:
        try:
            notification = json.loads(body)
        except ValueError:
            log.warning("ignoring a message that is not JSON: %.200s", body)
            continue
        if not isinstance(notification, dict) or notification.get("Event") == "s3:TestEvent":
            continue
        for record in notification.get("Records") or []:
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            s3 = record.get("s3", {})
            created = s3.get("object", {})
            etag, size = created.get("eTag"), created.get("size")
            objects.append(CreatedObject(
                bucket=s3.get("bucket", {}).get("name", ""), key=urllib.parse.unquote_plus(created.get("key", "")),
                etag=etag.strip('"') if isinstance(etag, str) and etag else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            ))
    return objects


@dataclass(frozen=True)
class ConversionSettings:
    bitrate_kbps: int
    max_duration_seconds: float
    max_channel_samples: int
    quotas: Quotas
    segments: int = 1  # encoders at once for a long WAV (one per vCPU)
    parallel_from_seconds: float = 300.0
    max_wall_seconds: float | None = None  # a conversion that takes longer fails (hostile input keeping it busy)


class Converter:
    def __init__(self, store: RecordingStore, storage: AudioStorage, conversion: ConversionSettings) -> None:
        self.store = store
        self.storage = storage
        self.conversion = conversion
        self.tagger = Mp3Tagger(store, storage)

    def handle(self, message_bodies: Iterable[str]) -> list[str]:
        """Process every object in the batch; returns what happened to each, for logs and tests."""
        outcomes = []
        for created in s3_objects(message_bodies):
            if created.bucket != self.storage.bucket:
                log.warning("ignoring an event for bucket %s", created.bucket)
                outcomes.append("ignored")
                continue
            outcomes.append(self.convert_object(created.key, etag=created.etag, size=created.size))
        return outcomes

    def give_up(self, message_bodies: Iterable[str]) -> list[str]:
        """Messages that failed every delivery (from the dead-letter queue): their recordings read `failed`."""
        outcomes = []
        for created in s3_objects(message_bodies):
            recording_id = recording_id_from_key(created.key)
            reason = "the conversion kept failing and was given up; the original is kept"
            outcome = "ignored"
            replaced = created.etag is not None and self.storage.original_etag(recording_id or "") != created.etag
            if recording_id is not None and not replaced:  # a file replaced since is converted on its own
                try:
                    marked = self.store.modify(recording_id, lambda current: None if current.status == "ready"
                                               else _failed(current, reason, created.size))
                    # a later delivery may have made it ready meanwhile: that stays
                    outcome = "failed" if marked.status == "failed" else "unchanged"
                except RecordingGone:
                    outcome = "unchanged"
            logs.event("dead_letter", recording_id=recording_id, outcome=outcome, level="error")
            outcomes.append(outcome)
        return outcomes

    def convert_object(self, key: str, *, etag: str | None = None, size: int | None = None) -> str:
        """Convert one original. `etag` and `size`, when the event gave them, are the object's; else S3 is asked."""
        recording_id = recording_id_from_key(key)
        if recording_id is None:
            return "ignored"
        started = time.perf_counter()
        facts: dict[str, Any] = {}
        outcome = "error"
        try:
            outcome = self._convert(recording_id, key, etag, size, facts)
            return outcome
        finally:
            logs.event("conversion", recording_id=recording_id, outcome=outcome,
                       seconds=round(time.perf_counter() - started, 3), **facts)

    def _convert(self, recording_id: str, key: str, etag: str | None, size: int | None,
                 facts: dict[str, Any]) -> str:
        recording = self.store.get(recording_id)
        if recording is None:
            # Deleted, or an upload slot that expired before its file came: the file has no owner, remove it.
            self.storage.delete(key)
            return "gone"
        if etag is None or size is None:
            head = self.storage.head(key)
            if head is None:
                return "gone"
            etag, size = head["ETag"].strip('"'), head["ContentLength"]
        facts["original_bytes"] = size
        if recording.source_etag == etag and recording.status in ("ready", "failed"):
            return "duplicate"
        if recording.status != "processing":
            # A new file over a finished recording (or a slot's first file). An event for a file that has since
            # been replaced again is stale: the newer file's own event converts that one.
            if self.storage.original_etag(recording_id) != etag:
                return "superseded"
            try:
                recording = self.store.modify(recording, lambda current: None if current.status == "processing"
                                              else {"status": "processing", "error": None, "expires_at": None})
            except RecordingGone:
                return "gone"

        # Hostile until sniffed, however it came: only audio is decoded, and only by its own format's demuxer.
        try:
            kind = identify_stream(self.storage.open_original(recording_id, etag, size), size)
        except UnreadableAudio as refusal:
            facts["reason"] = refusal.reason
            return self._not_audio(recording, key, etag, refusal.reason)
        except ObjectVersionChanged:
            current = self.storage.original_etag(recording_id)
            return "gone" if current is None else "superseded"

        # The owner's quota, without what this recording counted so far: the file must fit, and decoding stops
        # where the audio time left ends (a tiny file of silence can decode to hours).
        quota = self.conversion.quotas.of(recording.owner)
        others = self.store.usage(recording.owner) - recording.charge
        held = max(recording.reserved or 0, int(recording.original.get("size") or 0))
        if not conversion_fits(quota, others, size, held):
            reason = f"over the owner's quota: {describe(quota, others + Usage(size))}; delete recordings to make room"
            facts["reason"] = reason
            # Not a fact about the file: no source_etag, so the same file converts once there is room.
            return self._finish(recording, etag, _failed(recording, reason, size))
        seconds_left = max(quota.seconds - others.seconds, 0.0)

        writer = self.storage.writer(mp3_key(recording_id, etag), "audio/mpeg")
        # The source link reads this version of the file only: replaced mid-read, it fails rather than mix files.
        source_url = self.storage.presigned_get(key, _SOURCE_LINK_SECONDS, if_match=etag)
        try:
            try:
                conversion = self._encode(source_url, etag, writer, seconds_left, self.conversion.segments, kind)
            except SegmentsFailed as failure:  # never expected; what was written is dropped, and one pass does it
                log.error("parallel segments failed for %s, converting in one pass: %s", recording_id, failure)
                writer.abort()
                conversion = self._encode(source_url, etag, writer, seconds_left, 1, kind)
        except ConversionError as error:
            writer.abort()
            reason = error.reason
            over_quota = (isinstance(error, TooLong)
                          and error.limit == seconds_left < self.conversion.max_duration_seconds)
            if over_quota:
                reason = (f"the audio is longer than the {seconds_left / 3600:,.2f} hours left in the owner's quota "
                          f"({describe(quota, others)})")
            facts["reason"] = reason
            return self._finish(recording, etag, _failed(recording, reason, size,
                                                         source_etag=None if over_quota else etag))
        except SourceUnavailable:
            writer.abort()
            current = self.storage.original_etag(recording_id)
            if current != etag:
                return "gone" if current is None else "superseded"
            raise
        except BaseException:
            writer.abort()
            raise
        # The MP3's head goes up last: its tag (from the recording and the original's tags), the Info frame.
        measured = _measured(recording, conversion, size, kind)
        tagged = recording.with_changes(measured)
        tag = tag_bytes(tagged, conversion.source_tags.pictures)
        measured["mp3"]["size"] = len(tag) + conversion.mp3_size
        try:
            with ThreadPoolExecutor(max_workers=1) as alongside:  # the two writes at the end, at the same time
                peaks_written = alongside.submit(self.storage.put_json, peaks_key(recording_id, etag),
                                                 {"peaks": conversion.peaks, "duration": conversion.duration})
                writer.close(first=tag + conversion.head)
                peaks_written.result()
        except BaseException:
            writer.abort()
            raise
        facts.update(audio_seconds=conversion.duration, mp3_bytes=measured["mp3"]["size"],
                     segments=conversion.segments)
        return self._finish(recording, etag, {"status": "ready", "error": None, "source_etag": etag, **measured},
                            tagged=tagged)

    def _not_audio(self, recording: Recording, key: str, etag: str, reason: str) -> str:
        """A file that is not audio: the recording fails (for its owner to read why) and the bytes are deleted, so
        nothing but audio is ever hosted."""
        kept = {"filename": recording.original["filename"]} if recording.original.get("filename") else {}
        outcome = self._finish(recording, etag, {**_failed(recording, f"{NOT_AUDIO}: {reason}", None, etag),
                                                 "original": kept})
        if outcome == "failed" and self.storage.original_etag(recording.id) == etag:
            self.storage.delete(key)
        return outcome

    def _encode(self, source_url: str, etag: str, writer: StreamingWriter, seconds_left: float,
                segments: int, kind: AudioKind) -> Conversion:
        return convert_to_mp3(source_url, writer.write, bitrate_kbps=self.conversion.bitrate_kbps,
                              demuxer=kind.demuxer, max_wall_seconds=self.conversion.max_wall_seconds,
                              max_seconds=min(self.conversion.max_duration_seconds, seconds_left),
                              source_headers={"If-Match": f'"{etag}"'},
                              max_channel_samples=self.conversion.max_channel_samples,
                              held_bytes=writer.part_bytes, segments=segments,
                              parallel_from_seconds=self.conversion.parallel_from_seconds)

    def _finish(self, recording: Recording, etag: str, changes: dict[str, Any],
                tagged: Recording | None = None) -> str:
        """Write the outcome if the converted file is still the recording's current one, decided afresh at the
        write: another upload replaced it meanwhile (its own conversion will finish), or the recording is gone.
        The outputs of a conversion that does not count are removed, and so are those of the one it replaces.
        `tagged` is the recording the MP3's tag was written from: edited since, the tag is rewritten."""
        replaced: list[str] = []

        def change(current: Recording) -> dict[str, Any] | None:
            if self.storage.original_etag(recording.id) != etag:
                raise _Superseded()
            replaced[:] = [current.source_etag] if current.source_etag not in (None, etag) else []
            return changes

        try:
            written = self.store.modify(recording, change)
        except (RecordingGone, _Superseded) as lost:
            self.storage.delete_outputs(recording.id, etag)  # leave no orphan
            return "gone" if isinstance(lost, RecordingGone) else "superseded"
        except ItemTooLarge:  # what the file carries cannot be kept (tags are capped: not expected); a fact about it
            self.storage.delete_outputs(recording.id, etag)
            if changes.get("status") == "failed":
                raise
            return self._finish(recording, etag, _failed(recording, "the file's tags are too large to keep", None,
                                                         etag))
        for previous in replaced:
            self.storage.delete_outputs(recording.id, previous)
        if tagged is not None and tags_for(written) != tags_for(tagged):
            self.tagger.sync(recording.id)
        return str(changes["status"])


class _Superseded(Exception):
    """The converted file is no longer the recording's current one."""


def _failed(recording: Recording, reason: str, size: int | None, source_etag: str | None = None) -> dict[str, Any]:
    """A failure: the original is kept (and counts against its owner's quota), no MP3 (what an earlier conversion
    left is removed). With `source_etag`, the failure is a fact about that file, and a repeat of its event is a
    duplicate; without, the same file converts again when it comes again (after the owner made room)."""
    original = {**recording.original, **({"size": size} if size is not None else {})}
    return {"status": "failed", "error": reason, "original": original, "mp3": None, "duration": None,
            "loudness": None, "source_etag": source_etag, "reserved": None}


def _measured(recording: Recording, conversion: Conversion, size: int, kind: AudioKind) -> dict[str, Any]:
    """What a finished conversion tells of the recording: its decoded duration and loudness, the original's facts
    (its format as sniffed) and tags, the MP3's; its reservation has become usage."""
    source = conversion.source
    loudness = conversion.loudness
    return {
        "duration": conversion.duration,
        "reserved": None,
        "original": {
            **recording.original,
            "content_type": kind.content_type,
            "size": size,
            "format": kind.format,
            "codec": source.codec,
            "sample_rate": source.sample_rate,
            "channels": source.channels,
            "bits_per_sample": source.bits_per_sample,
            "duration": conversion.duration,
            "tags": original_tags(conversion.source_tags),
        },
        "mp3": {
            "size": conversion.mp3_size,
            "bitrate": conversion.mp3_bitrate_kbps * 1000,
            "duration": conversion.duration,
            "sample_rate": conversion.mp3_sample_rate,
        },
        "loudness": {"integrated": loudness.integrated, "range": loudness.range, "true_peak": loudness.true_peak}
        if loudness else None,
    }
