"""The converter's shell: S3 event → fetch → convert (the pure audio core) → store. Imperative, and idempotent.

S3 and SQS deliver at least once, so everything here tolerates repeats:
- the `s3:TestEvent` S3 sends when the notification is configured is ignored (s3_events.py);
- keys arrive URL-encoded (moto encodes even '/'), and are decoded before use (s3_events.py);
- an event for a recording or object that no longer exists is ignored, and creates nothing;
- a second delivery for an object version already converted (or already failed) is skipped;
- the MP3 becomes visible only when its upload completes, and the metadata turns `ready` after that, in one
  conditional write that never recreates a deleted recording.
A file that cannot be decoded is a result, not an error: the recording reads `failed` with the reason and the
original is kept. Anything else (S3 or DynamoDB unavailable) raises, so SQS retries and, after N receives, moves
the message to the dead-letter queue.

What happens at each step is decided by the pure functions of conversion_decisions.py (tested without AWS); this
module fetches the facts they need, encodes, and stores what they decide (the last write: conversion_outcome.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib import logs
from chalicelib.audio.convert import Conversion, ConversionError, SegmentsFailed, SourceUnavailable, convert_to_mp3
from chalicelib.audio.sniff import AudioKind, UnreadableAudio, identify_stream
from chalicelib.conversion_decisions import (
    Convert,
    Fail,
    Gone,
    Outcome,
    Ready,
    Room,
    Skip,
    admission,
    arrival,
    claim,
    claimed,
    conversion_failed,
    dead_letter_applies,
    given_up,
    measured,
    not_audio,
    ready,
    source_lost,
    version_changed,
)
from chalicelib.conversion_outcome import OutcomeWriter
from chalicelib.errors import RecordingGone
from chalicelib.object_reader import ObjectVersionChanged
from chalicelib.quotas import Quotas
from chalicelib.recording import Recording
from chalicelib.recording_store import RecordingStore
from chalicelib.s3_events import CreatedObject, s3_objects
from chalicelib.object_writer import StreamingWriter
from chalicelib.storage import AudioStorage, mp3_key, recording_id_from_key
from chalicelib.tagging import Mp3Tagger, tag_bytes
from chalicelib.webhook_events import notify

# The S3 events are read in s3_events.py; they stay importable from here, where the converter's callers look.
__all__ = ["ConversionSettings", "Converter", "CreatedObject", "s3_objects"]

log = logging.getLogger("cloudsound.pipeline")
_SOURCE_LINK_SECONDS = 6 * 3600


@dataclass(frozen=True)
class ConversionSettings:
    bitrate_kbps: int
    max_duration_seconds: float
    max_channel_samples: int
    quotas: Quotas
    segments: int = 1  # encoders at once for a long WAV (one per vCPU)
    parallel_from_seconds: float = 300.0
    max_wall_seconds: float | None = None  # a conversion that takes longer fails (hostile input keeping it busy)


@dataclass(frozen=True)
class _Arrived:
    """An original to convert, and its recording (claimed: `processing`)."""

    recording: Recording
    key: str
    etag: str
    size: int


class Converter:
    def __init__(self, store: RecordingStore, storage: AudioStorage, conversion: ConversionSettings) -> None:
        self.store = store
        self.storage = storage
        self.conversion = conversion
        self.tagger = Mp3Tagger(store, storage)
        self.outcomes = OutcomeWriter(store, storage, self.tagger)

    def handle(self, message_bodies: Iterable[str]) -> list[str]:
        """Process every object in the batch; returns what happened to each, for logs and tests."""
        outcomes: list[str] = []
        for created in s3_objects(message_bodies):
            if created.bucket != self.storage.bucket:
                log.warning("ignoring an event for bucket %s", created.bucket)
                outcomes.append("ignored")
                continue
            outcomes.append(self.convert_object(created.key, etag=created.etag, size=created.size))
        return outcomes

    def give_up(self, message_bodies: Iterable[str]) -> list[str]:
        """Messages that failed every delivery (from the dead-letter queue): their recordings read `failed`."""
        return [self._give_up(created) for created in s3_objects(message_bodies)]

    def _give_up(self, created: CreatedObject) -> Outcome:
        recording_id = recording_id_from_key(created.key)
        current_etag = self.storage.original_etag(recording_id or "") if created.etag is not None else None
        outcome: Outcome = "ignored"
        if recording_id is not None and dead_letter_applies(created.etag, current_etag):
            try:
                marked = self.store.modify(recording_id, lambda current: given_up(current, created.size))
                # a later delivery may have made it ready meanwhile: that stays
                outcome = "failed" if marked.status == "failed" else "unchanged"
                notify("recording.failed", marked if outcome == "failed" else None)
            except RecordingGone:
                outcome = "unchanged"
        logs.event("dead_letter", recording_id=recording_id, outcome=outcome, level="error")
        return outcome

    def convert_object(self, key: str, *, etag: str | None = None, size: int | None = None) -> Outcome:
        """Convert one original. `etag` and `size`, when the event gave them, are the object's; else S3 is asked."""
        recording_id = recording_id_from_key(key)
        if recording_id is None:
            return "ignored"
        started = time.perf_counter()
        facts: dict[str, Any] = {}
        outcome: Outcome = "error"
        try:
            outcome = self._convert(recording_id, key, etag, size, facts)
            return outcome
        finally:
            logs.event(
                "conversion",
                recording_id=recording_id,
                outcome=outcome,
                seconds=round(time.perf_counter() - started, 3),
                **facts,
            )

    def _convert(
        self, recording_id: str, key: str, etag: str | None, size: int | None, facts: dict[str, Any]
    ) -> Outcome:
        arrived = self._arrive(recording_id, key, etag, size, facts)
        if not isinstance(arrived, _Arrived):
            return arrived
        recording = arrived.recording
        # Hostile until sniffed, however it came: only audio is decoded, and only by its own format's demuxer.
        try:
            kind = identify_stream(self.storage.open_original(recording_id, arrived.etag, arrived.size), arrived.size)
        except UnreadableAudio as refusal:
            facts["reason"] = refusal.reason
            return self._finish(recording, arrived.etag, not_audio(recording, arrived.etag, refusal.reason))
        except ObjectVersionChanged:
            return version_changed(arrived.etag, self.storage.original_etag(recording_id)).outcome
        # The owner's quota, without what this recording counted so far: the file must fit, and decoding stops
        # where the audio time left ends (a tiny file of silence can decode to hours).
        room = Room(self.conversion.quotas.of(recording.owner), self.store.usage(recording.owner) - recording.charge)
        refused = admission(recording, arrived.size, room)
        if refused is not None:
            facts["reason"] = refused.reason
            return self._finish(recording, arrived.etag, refused)
        return self._convert_audio(arrived, kind, room, facts)

    def _arrive(
        self, recording_id: str, key: str, etag: str | None, size: int | None, facts: dict[str, Any]
    ) -> _Arrived | Outcome:
        """The recording and the object the event names, claimed for conversion; or what the event comes to."""
        recording = self.store.get(recording_id)
        if recording is not None and (etag is None or size is None):
            head = self.storage.head(key)
            etag, size = (head["ETag"].strip('"'), head["ContentLength"]) if head is not None else (None, None)
        if recording is not None and size is not None:
            facts["original_bytes"] = size
        decision: Skip | Convert = arrival(recording, etag, size)
        if isinstance(decision, Convert) and decision.claim:
            assert etag is not None
            decision = claim(etag, self.storage.original_etag(recording_id))
        if not isinstance(decision, Convert):
            return self._skip(decision, key)
        assert recording is not None and etag is not None and size is not None
        if decision.claim:
            try:
                recording = self.store.modify(recording, claimed)
            except RecordingGone:
                return "gone"
        return _Arrived(recording, key, etag, size)

    def _skip(self, decision: Skip, key: str) -> Outcome:
        if isinstance(decision, Gone) and decision.delete_file:
            self.storage.delete(key)  # the file has no owner: it goes
        return decision.outcome

    def _convert_audio(self, arrived: _Arrived, kind: AudioKind, room: Room, facts: dict[str, Any]) -> Outcome:
        """Encode the original to its MP3 (streamed to S3 as it comes) and store the outcome."""
        recording, etag = arrived.recording, arrived.etag
        writer = self.storage.writer(mp3_key(recording.id, etag), "audio/mpeg")
        # The source link reads this version of the file only: replaced mid-read, it fails rather than mix files.
        source_url = self.storage.presigned_get(arrived.key, _SOURCE_LINK_SECONDS, if_match=etag)
        try:
            try:
                conversion = self._encode(source_url, etag, writer, room.seconds_left, self.conversion.segments, kind)
            except SegmentsFailed as failure:  # never expected; what was written is dropped, and one pass does it
                log.error("parallel segments failed for %s, converting in one pass: %s", recording.id, failure)
                writer.abort()
                conversion = self._encode(source_url, etag, writer, room.seconds_left, 1, kind)
        except ConversionError as error:
            writer.abort()
            failed = conversion_failed(recording, etag, arrived.size, error, room, self.conversion.max_duration_seconds)
            facts["reason"] = failed.reason
            return self._finish(recording, etag, failed)
        except SourceUnavailable:
            writer.abort()
            lost = source_lost(etag, self.storage.original_etag(recording.id))
            if lost is None:
                raise
            return lost.outcome
        except BaseException:
            writer.abort()
            raise
        return self._store(arrived, kind, conversion, writer, facts)

    def _store(
        self, arrived: _Arrived, kind: AudioKind, conversion: Conversion, writer: StreamingWriter, facts: dict[str, Any]
    ) -> Outcome:
        """The MP3's head goes up last: its tag (from the recording and the original's tags), the Info frame; the
        peaks beside it; then the recording turns ready."""
        recording, etag = arrived.recording, arrived.etag
        measurements = measured(recording, conversion, arrived.size, kind)
        tagged = recording.with_changes(measurements)
        tag = tag_bytes(tagged, conversion.source_tags.pictures)
        self.outcomes.store_outputs(recording.id, etag, conversion, writer, tag)
        facts.update(
            audio_seconds=conversion.duration, mp3_bytes=len(tag) + conversion.mp3_size, segments=conversion.segments
        )
        return self._finish(recording, etag, ready(measurements, etag, len(tag)), tagged=tagged)

    def _encode(
        self, source_url: str, etag: str, writer: StreamingWriter, seconds_left: float, segments: int, kind: AudioKind
    ) -> Conversion:
        return convert_to_mp3(
            source_url,
            writer.write,
            bitrate_kbps=self.conversion.bitrate_kbps,
            demuxer=kind.demuxer,
            max_wall_seconds=self.conversion.max_wall_seconds,
            max_seconds=min(self.conversion.max_duration_seconds, seconds_left),
            source_headers={"If-Match": f'"{etag}"'},
            max_channel_samples=self.conversion.max_channel_samples,
            held_bytes=writer.part_bytes,
            segments=segments,
            parallel_from_seconds=self.conversion.parallel_from_seconds,
        )

    def _finish(
        self, recording: Recording, etag: str, decision: Fail | Ready, tagged: Recording | None = None
    ) -> Outcome:
        """The outcome written, if the converted file is still the recording's current one (conversion_outcome.py)."""
        return self.outcomes.write(recording, etag, decision, tagged)
