"""What a recording's MP3 says about it in its ID3v2.4 tag, and keeping that true when the recording changes.

The frames (players show TIT2, TPE1, TALB, TCON, TCOM; podcast and audiobook apps read TIPL and TCOM too):
- TIT2 title: an audiobook's title, else the recording's name as its owner typed it; a name that only repeats the
  uploaded file's name gives way to the original's own title, and is used without its extension if there is none.
- TPE1 artist: a podcast's host or an audiobook's author, else the original's artist, else the owner's name.
- TCOM: an audiobook's narrator (where audiobook players look for the narrator in an MP3).
- TIPL, the involved people list: host, participants, author, narrator, each with their role.
- TCON genre: "Podcast" or "Audiobook" from the kind; a song keeps the original's genre.
- TDRC: the original's recording date, else the day the recording was made.
- TALB and the rest of the original's tags (WAV LIST/INFO and id3 chunks, FLAC/Vorbis comments, M4A atoms) where
  the recording's own fields do not say otherwise; its cover pictures as APIC frames.
- TXXX REPLAYGAIN_TRACK_GAIN and REPLAYGAIN_TRACK_PEAK (ReplayGain 2.0: reference −18 LUFS, true peak as a ratio),
  so players level the track.

A change of the recording rewrites the tag (`Mp3Tagger.sync`); the audio is not touched: S3 copies it into the new
object itself. Only the pictures are taken from the MP3 as it is; everything else is derived from the recording.
"""

from __future__ import annotations

import logging

from chalicelib.audio.mp3_tags import Picture, Tags, id3_tag, merged, read_tag, tag_size
from chalicelib.naming import is_default
from chalicelib.errors import RecordingGone
from chalicelib.recording import Loudness, Recording, RecordingChanges
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import AudioStorage, mp3_key, with_extension

log = logging.getLogger("cloudsound.tagging")

GENRES = {"podcast": "Podcast", "audiobook": "Audiobook"}
REPLAYGAIN_REFERENCE_LUFS = -18.0
_SILENCE_LUFS = -70.0  # the absolute gate: a recording no louder than this has nothing to level
_SYNC_ROUNDS = 8  # rewrites one sync may make while other edits keep changing the recording
_HEAD_READ = 1 << 16  # the first read of an MP3: its tag, unless a cover makes it longer


def tags_for(recording: Recording, pictures: tuple[Picture, ...] = ()) -> Tags:
    """The tag a recording's MP3 carries, given the pictures it keeps."""
    original = tuple((name, tuple(values)) for name, values in (recording.original.get("tags") or {}).items())
    # A name only typed if it is not the one an upload without a name gets: its file's name (without or, from the
    # earlier specs, with its extension), "recording", or "recording.<format>".
    name_typed = not is_default(recording.name, recording.original) and recording.name not in (
        recording.original.get("filename"),
        f"recording.{recording.original.get('format')}",
    )
    own: list[tuple[str, tuple[str, ...]]] = []
    if recording.kind == "audiobook" and recording.title:
        own.append(("title", (recording.title,)))
    elif name_typed:
        own.append(("title", (recording.name,)))
    artist = recording.host if recording.kind == "podcast" else recording.author
    if artist:
        own.append(("artist", (artist,)))
    if recording.narrator:
        own.append(("composer", (recording.narrator,)))
    if recording.kind in GENRES:
        own.append(("genre", (GENRES[recording.kind],)))
    fallback = [
        ("title", (with_extension(recording.name, "") if not name_typed else recording.name,)),
        ("artist", (recording.owner_name or "",)),
        ("date", (recording.created_at[:10],)),
    ]
    if recording.kind == "audiobook" and recording.title:
        fallback.append(("album", (recording.title,)))
    return Tags(
        text=merged(own, original, fallback, replaygain(recording.loudness)),
        people=_people(recording),
        pictures=tuple(pictures),
    )


def replaygain(loudness: Loudness | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ReplayGain 2.0 track gain and peak from EBU R128 figures; nothing for silence."""
    if not loudness or loudness.get("integrated") is None or loudness["integrated"] <= _SILENCE_LUFS:
        return ()
    gain = REPLAYGAIN_REFERENCE_LUFS - loudness["integrated"]
    true_peak = loudness.get("true_peak")
    peak = 10 ** (true_peak / 20) if true_peak is not None else 0.0
    return (("REPLAYGAIN_TRACK_GAIN", (f"{gain:.2f} dB",)), ("REPLAYGAIN_TRACK_PEAK", (f"{peak:.6f}",)))


def _people(recording: Recording) -> tuple[tuple[str, str], ...]:
    people = []
    if recording.host:
        people.append(("host", recording.host))
    people += [("participant", name) for name in recording.participants or ()]
    if recording.author:
        people.append(("author", recording.author))
    if recording.narrator:
        people.append(("narrator", recording.narrator))
    return tuple(people)


MAX_KEPT_TAG_BYTES = 32 * 1024  # of a DynamoDB item's 400 KB: with names and fields at their limits, ample room
MAX_KEPT_TAG_VALUE = 2000  # characters of one value
MAX_KEPT_TAG_VALUES = 16  # values of one tag


def original_tags(tags: Tags) -> dict[str, list[str]]:
    """The original's text tags as the recording keeps them (its pictures stay in the MP3 only), capped in UTF-8
    bytes so that a recording always fits its store: tags in their order while they fit, each value cut to a
    readable length. (A tag is the uploader's text: 70 comments of 2,000 emoji must not make the record unwritable.)"""
    kept: dict[str, list[str]] = {}
    budget = MAX_KEPT_TAG_BYTES
    for name, values in tags.text[:64]:
        clipped = [value[:MAX_KEPT_TAG_VALUE] for value in values[:MAX_KEPT_TAG_VALUES]]
        cost = len(name.encode()) + sum(len(value.encode()) + 4 for value in clipped) + 8
        if cost > budget:
            continue
        budget -= cost
        kept[name] = clipped
    return kept


def tag_bytes(recording: Recording, pictures: tuple[Picture, ...] = ()) -> bytes:
    return id3_tag(tags_for(recording, pictures))


class Mp3Tagger:
    """Keeps a ready recording's MP3 tag saying what the recording says."""

    def __init__(self, store: RecordingStore, storage: AudioStorage) -> None:
        self.store = store
        self.storage = storage

    def sync(self, recording_id: str) -> Recording | None:
        """Rewrite the MP3's tag until it says what the recording says now; returns the recording as it is then
        (None if it is gone). Each round compares the tag in S3 with the recording as it is at that moment, and a
        round ends only in agreement or in a write of its own: of edits racing each other, whichever tag lands
        last is checked again by whoever wrote it, so the last word is the latest recording's."""
        current = self.store.get(recording_id)
        for _ in range(_SYNC_ROUNDS):
            if current is None or current.status != "ready" or not current.source_etag or not current.mp3:
                return current
            key = mp3_key(current.id, current.source_etag)
            head = self.storage.read_range(key, 0, _HEAD_READ)
            if head is None:
                return current  # replaced or deleted meanwhile: whoever did that decides
            length = tag_size(head[:10])
            if length > len(head):
                head = self.storage.read_range(key, 0, length) or b""
            tag = head[:length]
            wanted = tag_bytes(current, read_tag(tag).pictures)
            if wanted == tag:
                return self._record_size(current, key)
            log.info("retagging %s (%d → %d tag bytes)", current.id, length, len(wanted))
            self.storage.replace_prefix(key, length, wanted, "audio/mpeg")
            current = self.store.get(recording_id)
            if current is None:  # deleted while the tag was written: what was written must not outlive it
                self.storage.delete(key)
        return current

    def _record_size(self, recording: Recording, key: str) -> Recording | None:
        """`mp3.size` as the object is now (a tag of another length changed it)."""
        head = self.storage.head(key)
        size = head["ContentLength"] if head else None
        if size is None or size == (recording.mp3.get("size") if recording.mp3 else None):
            return recording
        etag, agreed = recording.source_etag, tags_for(recording)

        def change(now: Recording) -> RecordingChanges | None:
            # Only while the recording still wants the tag that was found: edited since, its own sync records it.
            return (
                {"mp3": {**now.mp3, "size": size}}
                if now.source_etag == etag and now.mp3 and tags_for(now) == agreed
                else None
            )

        try:
            return self.store.modify(recording, change)
        except RecordingGone:
            return None
