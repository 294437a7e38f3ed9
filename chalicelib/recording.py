"""A recording, as a typed value from the store up to the API's representation, and the two rules about it that
every route obeys: which recordings are *listed* (the public lists) and which are *visible* to a viewer.

Visibility: a private recording, an upload slot whose file has not arrived, and an expired slot exist only for their
owner (expired ones for nobody); anyone else is told "not found", exactly as for an id that does not exist.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, get_args
from collections.abc import Mapping

from chalicelib.clock import now_iso

Kind = Literal["song", "podcast", "audiobook", "other"]
Status = Literal["awaiting_upload", "processing", "ready", "failed"]
Visibility = Literal["public", "private"]
AudioFormat = Literal["mp3", "original"]  # what a recording's audio is downloaded as
KINDS: tuple[Kind, ...] = get_args(Kind)
STATUSES: tuple[Status, ...] = get_args(Status)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
FORMATS: tuple[AudioFormat, ...] = get_args(AudioFormat)
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "song": (),
    "podcast": ("host", "participants"),
    "audiobook": ("title", "author", "narrator"),
    "other": (),
}
ALL_KIND_FIELDS = ("host", "participants", "title", "author", "narrator")


class Original(TypedDict, total=False):
    """The uploaded file, as the store keeps it. At upload, what the sniff saw (content type, size, format) and the
    file's name; once converted, also what decoding it told (codec, rate, channels, sample width, duration), its
    text tags and whether it carried a cover picture. A dict, not a class: the store and the API carry it as it is."""

    content_type: str
    size: int
    format: str
    codec: str
    sample_rate: int
    channels: int | None
    bits_per_sample: int | None
    duration: float
    filename: str
    tags: dict[str, list[str]]
    cover: bool  # it carried a picture GET /recordings/{id}/cover serves (known once converted)


class Mp3(TypedDict):
    """The converted file: its size (the tag included), bitrate (bit/s, as encoded), duration and sample rate."""

    size: int
    bitrate: int
    duration: float
    sample_rate: int


class Loudness(TypedDict):
    """EBU R128 of the converted audio: integrated (LUFS), range (LU), true peak (dBTP; None for digital silence)."""

    integrated: float
    range: float
    true_peak: float | None


class Multipart(TypedDict):
    """An upload in parts (S3 multipart) a recording waits for: S3's upload id, the declared size and the part size
    (chalicelib/multipart.py)."""

    upload_id: str
    size: int
    part_size: int


class RecordingChanges(TypedDict, total=False):
    """What a write changes on a recording: a field left out stays as it is, a None clears it."""

    name: str
    status: Status
    error: str | None
    original: Original | None
    mp3: Mp3 | None
    duration: float | None
    loudness: Loudness | None
    source_etag: str | None
    reserved: int | None
    expires_at: int | None
    multipart: Multipart | None


@dataclass(frozen=True)
class Usage:
    """What recordings cost their owner: stored bytes (originals and MP3s) and seconds of converted audio."""

    bytes: int = 0  # stored and reserved together: what a quota's bytes bound
    seconds: float = 0.0
    reserved: int = 0  # of `bytes`, those reserved for files announced but not converted yet

    @property
    def stored(self) -> int:
        return self.bytes - self.reserved

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.bytes + other.bytes, round(self.seconds + other.seconds, 6), self.reserved + other.reserved)

    def __sub__(self, other: Usage) -> Usage:
        return Usage(self.bytes - other.bytes, round(self.seconds - other.seconds, 6), self.reserved - other.reserved)


@dataclass(frozen=True)
class Recording:
    id: str
    owner: int
    name: str
    status: Status
    created_at: str
    updated_at: str
    kind: Kind = "other"
    visibility: Visibility = "public"
    owner_name: str | None = None  # the owner's user name when the recording was made (user names never change)
    host: str | None = None
    participants: tuple[str, ...] | None = None
    title: str | None = None
    author: str | None = None
    narrator: str | None = None
    error: str | None = None
    duration: float | None = None
    original: Original = field(default_factory=Original)
    mp3: Mp3 | None = None
    loudness: Loudness | None = None
    source_etag: str | None = None
    expires_at: int | None = None  # an unused upload slot's end (DynamoDB's TTL removes it later)
    reserved: int | None = None  # bytes held against the quota for a file announced but not converted yet
    declared_duration: float | None = None  # the audio file server spec's client-declared duration
    uploaded_time: str | None = None  # the audio file server spec's client-given time
    multipart: Multipart | None = None  # the upload in parts it waits for (or had)
    version: int = 0  # bumped by every write: the store's optimistic lock

    @property
    def sort_key(self) -> str:
        """Newest-first order of every list: creation time, then id (unique, so positions are exact)."""
        return f"{self.created_at}#{self.id}"

    @property
    def listed(self) -> bool:
        """The listing rule: public lists hold public recordings whose file has arrived and was not refused (a
        `failed` recording is its owner's alone: what failed may not be audio at all)."""
        return self.visibility == "public" and self.status not in ("awaiting_upload", "failed")

    def expired(self, now: float | None = None) -> bool:
        """An upload slot nobody used: the store forgets it within a day or two; until then it is already gone."""
        return (
            self.status == "awaiting_upload"
            and self.expires_at is not None
            and self.expires_at <= (time.time() if now is None else now)
        )

    def visible_to(self, viewer_id: int | None) -> bool:
        """The visibility rule: who may see this recording, its metadata, its audio and its peaks."""
        return (self.listed or self.owner == viewer_id) and not self.expired()

    @property
    def charge(self) -> Usage:
        """What this recording counts against its owner's quota: its stored files and what is reserved for the file
        it waits for, and its audio once converted."""
        reserved = self.reserved or 0
        stored = int(self.original.get("size") or 0) + int((self.mp3.get("size") if self.mp3 else None) or 0)
        return Usage(stored + reserved, self.duration or 0.0 if self.status == "ready" else 0.0, reserved)

    def converted_from(self, etag: str) -> bool:
        """Whether the file with `etag` has had its conversion: ready, or failed for a reason that is the file's. A
        repeat delivery of its event, or an upload's write that its conversion overtook, then changes nothing."""
        return self.source_etag == etag and self.status in ("ready", "failed")

    def kind_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ALL_KIND_FIELDS if getattr(self, name) is not None}

    def with_changes(self, changes: Mapping[str, Any]) -> Recording:
        """This recording with `changes` applied (None clears a field)."""
        return dataclasses.replace(self, **{name: _field_value(name, value) for name, value in changes.items()})


FIELDS = tuple(item.name for item in dataclasses.fields(Recording))
_OPTIONAL_DEFAULTS = {
    item.name: item.default for item in dataclasses.fields(Recording) if item.default is not dataclasses.MISSING
}


def _field_value(name: str, value: Any) -> Any:
    if name not in FIELDS:
        raise TypeError(f"a recording has no field {name!r}")
    if value is None and name in _OPTIONAL_DEFAULTS:
        return _OPTIONAL_DEFAULTS[name]
    if name == "participants" and value is not None:
        return tuple(value)
    if name == "original" and value is None:
        return {}
    return value


def new_recording(owner: int, name: str, *, status: Status, **fields: Any) -> Recording:
    """A new recording with a fresh id, created now."""
    created_at = now_iso()
    return Recording(
        id=str(uuid.uuid4()), owner=owner, name=name, status=status, created_at=created_at, updated_at=created_at
    ).with_changes(fields)


def looks_like_id(value: str) -> bool:
    """Cheap shape check before a lookup: ids are UUIDs, but anything id-shaped simply finds nothing."""
    return 0 < len(value) <= 64 and all(ch.isalnum() or ch == "-" for ch in value)
