"""What happens to a converter's event, decided by pure functions of values: the functional core of pipeline.py.

The shell fetches what a step needs (the recording, the object's ETag and size, the original's current ETag, the
owner's usage and quota, the sniff, the conversion), asks the function here for that step, and does what the
decision says: skip, or write the changes it carries (and delete what it names). Nothing here reads S3 or DynamoDB
or runs ffmpeg, so every rule is tested on plain values (tests/unit/test_conversion_decisions.py).

The steps, in the order the shell takes them:
1. `arrival`: no recording (the file is removed), no object, a repeat of a file already converted or failed, or a
   file to convert — claimed first (`claim`) when it comes over a finished recording or into a slot;
2. `not_audio`: the sniff refused it (the recording fails, the bytes go);
3. `admission`: it does not fit the owner's quota (fails, but converts again once there is room);
4. `conversion_failed`: ffmpeg could not convert it, or it ran past the quota's hours;
5. `measured` and `ready`: what the recording says once it is converted.
At every step that acts on the file, the file must still be the recording's current original (`still_current`):
another upload may have replaced it, a delete removed it. A source lost mid-read is `version_changed` or
`source_lost`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from chalicelib.audio.conversion import Conversion, ConversionError, TooLong
from chalicelib.audio.sniff import NOT_AUDIO, AudioKind
from chalicelib.quotas import Quota, conversion_fits, describe
from chalicelib.recording import Loudness, Mp3, Original, Recording, RecordingChanges, Usage
from chalicelib.naming import name_from_tags
from chalicelib.tagging import original_tags

Outcome = Literal["ignored", "gone", "duplicate", "superseded", "failed", "ready", "unchanged", "error"]

GIVEN_UP = "the conversion kept failing and was given up; the original is kept"
TAGS_TOO_LARGE = "the file's tags are too large to keep"


@dataclass(frozen=True)
class Gone:
    """The recording, or its file, is no longer there: nothing is written. `delete_file`: the file has no
    recording (deleted, or an upload slot that expired before its file came), so it is removed."""

    delete_file: bool = False
    outcome: ClassVar[Outcome] = "gone"


@dataclass(frozen=True)
class Duplicate:
    """A repeat delivery for a file already converted (or failed for good): nothing to do."""

    outcome: ClassVar[Outcome] = "duplicate"


@dataclass(frozen=True)
class Superseded:
    """Another file has replaced this one: its own event converts it, and this one's outputs must not count."""

    outcome: ClassVar[Outcome] = "superseded"


@dataclass(frozen=True)
class Convert:
    """Go on with the file. `claim`: the recording is marked `processing` first (a new file over a finished
    recording, or a slot's first file)."""

    claim: bool = False


@dataclass(frozen=True)
class Fail:
    """The recording fails with `changes`; `reason` is what the log tells. `delete_file`: the file is not audio,
    and nothing but audio is hosted."""

    reason: str
    changes: RecordingChanges
    delete_file: bool = False
    outcome: ClassVar[Outcome] = "failed"


@dataclass(frozen=True)
class Ready:
    """The conversion counts: the recording turns `ready` with `changes`."""

    changes: RecordingChanges
    outcome: ClassVar[Outcome] = "ready"


Skip = Gone | Duplicate | Superseded


@dataclass(frozen=True)
class Room:
    """The owner's quota, and what their recordings but this one use."""

    quota: Quota
    others: Usage

    @property
    def seconds_left(self) -> float:
        """Hours of audio the owner has left, in seconds: where decoding this file stops."""
        return max(self.quota.seconds - self.others.seconds, 0.0)


def still_current(etag: str, current_etag: str | None) -> bool:
    """Whether the file an event names is still the recording's original (`current_etag`, asked of S3 afresh at
    each step that acts on it; None: there is no original)."""
    return current_etag == etag


def arrival(recording: Recording | None, etag: str | None, size: int | None) -> Gone | Duplicate | Convert:
    """What an event does before anything is read. `etag` and `size` are the object's (None: it is not there)."""
    if recording is None:
        return Gone(delete_file=True)
    if etag is None or size is None:
        return Gone()
    if recording.converted_from(etag):
        return Duplicate()
    return Convert(claim=recording.status != "processing")


def claim(etag: str, current_etag: str | None) -> Superseded | Convert:
    """A file over a finished recording is converted only if it is still the current original: an event for a file
    replaced (or removed) since is stale, and the newer file's own event converts that one."""
    return Convert(claim=True) if still_current(etag, current_etag) else Superseded()


def claimed(current: Recording) -> RecordingChanges | None:
    """The claim's write, decided again on the recording as it is at the write: already processing, nothing."""
    return None if current.status == "processing" else {"status": "processing", "error": None, "expires_at": None}


def source_lost(etag: str, current_etag: str | None) -> Gone | Superseded | None:
    """Why the source could not be read: removed (Gone) or replaced (Superseded). None: it is still the current
    file, so the failure was the network's or the store's, and the shell raises for SQS to deliver it again."""
    if still_current(etag, current_etag):
        return None
    return Gone() if current_etag is None else Superseded()


def version_changed(etag: str, current_etag: str | None) -> Gone | Superseded:
    """The reader saw the version it was reading change: the file was removed or replaced. Even if it is back with
    the same bytes (the same ETag), that upload's own event converts it."""
    return source_lost(etag, current_etag) or Superseded()


def failed(recording: Recording, reason: str, size: int | None, source_etag: str | None = None) -> RecordingChanges:
    """A failure: the original is kept (and counts against its owner's quota), no MP3 (what an earlier conversion
    left is removed). With `source_etag`, the failure is a fact about that file, and a repeat of its event is a
    duplicate; without, the same file converts again when it comes again (after the owner made room)."""
    original: Original = {**recording.original, **({"size": size} if size is not None else {})}
    return {
        "status": "failed",
        "error": reason,
        "original": original,
        "mp3": None,
        "duration": None,
        "loudness": None,
        "source_etag": source_etag,
        "reserved": None,
    }


def not_audio(recording: Recording, etag: str, reason: str) -> Fail:
    """A file the sniff refused: the recording fails for its owner to read why, only its file's name is kept of
    the original, and the bytes are deleted."""
    kept: Original = {"filename": recording.original["filename"]} if recording.original.get("filename") else {}
    return Fail(reason, {**failed(recording, f"{NOT_AUDIO}: {reason}", None, etag), "original": kept}, delete_file=True)


def admission(recording: Recording, size: int, room: Room) -> Fail | None:
    """Whether the file may be converted at all: it must fit the owner's quota (quotas.conversion_fits). A file
    that does not fails, but not as a fact about the file (no `source_etag`): the same file converts once there is
    room."""
    held = max(recording.reserved or 0, int(recording.original.get("size") or 0))
    if conversion_fits(room.quota, room.others, size, held):
        return None
    reason = (
        f"over the owner's quota: {describe(room.quota, room.others + Usage(size))}; delete recordings to make room"
    )
    return Fail(reason, failed(recording, reason, size))


def conversion_failed(
    recording: Recording, etag: str, size: int, error: ConversionError, room: Room, max_duration_seconds: float
) -> Fail:
    """A conversion that failed for a reason of the file's: for good, unless what stopped it was the hours left in
    the owner's quota (shorter than the length limit), which deleting recordings changes."""
    seconds_left = room.seconds_left
    over_quota = isinstance(error, TooLong) and error.limit == seconds_left < max_duration_seconds
    reason = error.reason
    if over_quota:
        reason = (
            f"the audio is longer than the {seconds_left / 3600:,.2f} hours left in the owner's quota "
            f"({describe(room.quota, room.others)})"
        )
    return Fail(reason, failed(recording, reason, size, source_etag=None if over_quota else etag))


def has_cover(conversion: Conversion) -> bool:
    """Whether the MP3 keeps a picture GET /recordings/{id}/cover serves: so a list can show covers without asking
    for each recording's (most have none)."""
    from chalicelib.covers import PICTURE_TYPES

    return any(picture.mime in PICTURE_TYPES for picture in conversion.source_tags.pictures)


def measured(recording: Recording, conversion: Conversion, size: int, kind: AudioKind) -> RecordingChanges:
    """What a finished conversion tells of the recording: its decoded duration and loudness, the original's facts
    (its format as sniffed) and tags, the MP3's (its size without the tag); its reservation has become usage."""
    source = conversion.source
    original: Original = {
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
        "cover": has_cover(conversion),
    }
    mp3: Mp3 = {
        "size": conversion.mp3_size,
        "bitrate": conversion.mp3_bitrate_kbps * 1000,
        "duration": conversion.duration,
        "sample_rate": conversion.mp3_sample_rate,
    }
    loudness: Loudness | None = None
    if conversion.loudness:
        loudness = {
            "integrated": conversion.loudness.integrated,
            "range": conversion.loudness.range,
            "true_peak": conversion.loudness.true_peak,
        }
    changes: RecordingChanges = {
        "duration": conversion.duration,
        "reserved": None,
        "original": original,
        "mp3": mp3,
        "loudness": loudness,
    }
    if (tagged_name := name_from_tags(recording.name, recording.kind, original)) is not None:
        changes["name"] = tagged_name  # nobody named it: its own title names it
    return changes


def as_of_now(changes: RecordingChanges, current: Recording) -> RecordingChanges:
    """`changes`, decided on the recording as the conversion read it, applied to it as it is now: a name from the
    original's title only while nobody has named it (an edit during the conversion wins)."""
    if "name" not in changes:
        return changes
    renamed = name_from_tags(current.name, current.kind, changes.get("original") or current.original)
    kept: RecordingChanges = {key: value for key, value in changes.items() if key != "name"}  # type: ignore[assignment]
    return kept if renamed is None else {**kept, "name": renamed}


def ready(measurements: RecordingChanges, etag: str, tag_bytes: int) -> Ready:
    """The recording once its MP3 is stored: `measurements`, the MP3's size counting the tag of `tag_bytes` that
    heads it, and the file it was converted from."""
    mp3 = measurements.get("mp3")
    assert mp3 is not None
    return Ready(
        {
            "status": "ready",
            "error": None,
            "source_etag": etag,
            **measurements,
            "mp3": {**mp3, "size": tag_bytes + mp3["size"]},
        }
    )


def outputs_replaced(current: Recording, etag: str) -> list[str]:
    """The conversions whose outputs the write of `etag`'s outcome makes obsolete (the file it replaces)."""
    previous = current.source_etag
    return [previous] if previous is not None and previous != etag else []


def too_large(recording: Recording, etag: str, changes: RecordingChanges) -> Fail | None:
    """A write the store refused as too large: what the file carries cannot be kept (its tags are capped, so this is
    not expected), and that is a fact about it. None: a failure was being written, which is not the file's doing."""
    if changes.get("status") == "failed":
        return None
    return Fail(TAGS_TOO_LARGE, failed(recording, TAGS_TOO_LARGE, None, etag))


def dead_letter_applies(event_etag: str | None, current_etag: str | None) -> bool:
    """Whether a message given up on marks its recording failed: not if it names a file replaced since (that one is
    converted on its own)."""
    return event_etag is None or still_current(event_etag, current_etag)


def given_up(current: Recording, size: int | None) -> RecordingChanges | None:
    """A given-up conversion's write: the recording fails, unless a later delivery made it ready meanwhile."""
    return None if current.status == "ready" else failed(current, GIVEN_UP, size)
