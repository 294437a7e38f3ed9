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
from typing import Any

from chalicelib.audio.mp3_tags import Picture, Tags, id3_tag, merged, read_tag, tag_size
from chalicelib.errors import RecordingGone
from chalicelib.recording import Recording
from chalicelib.recording_store import RecordingStore
from chalicelib.storage import AudioStorage, mp3_key, with_extension

log = logging.getLogger("cloudsound.tagging")

GENRES = {"podcast": "Podcast", "audiobook": "Audiobook"}
REPLAYGAIN_REFERENCE_LUFS = -18.0
_SILENCE_LUFS = -70.0  # the absolute gate: a recording no louder than this has nothing to level
_SYNC_ROUNDS = 3


def tags_for(recording: Recording, pictures: tuple[Picture, ...] = ()) -> Tags:
    """The tag a recording's MP3 carries, given the pictures it keeps."""
    original = tuple((name, tuple(values)) for name, values in (recording.original.get("tags") or {}).items())
    # A name only typed if it is not the one an upload without a name gets: its file's name, or "recording.<format>".
    name_typed = recording.name not in (recording.original.get("filename"),
                                        f"recording.{recording.original.get('format')}")
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
    fallback = [("title", (with_extension(recording.name, "") if not name_typed else recording.name,)),
                ("artist", (recording.owner_name or "",)),
                ("date", (recording.created_at[:10],))]
    if recording.kind == "audiobook" and recording.title:
        fallback.append(("album", (recording.title,)))
    return Tags(text=merged(own, original, fallback, replaygain(recording.loudness)), people=_people(recording),
                pictures=tuple(pictures))


def replaygain(loudness: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ReplayGain 2.0 track gain and peak from EBU R128 figures; nothing for silence."""
    if not loudness or loudness.get("integrated") is None or loudness["integrated"] <= _SILENCE_LUFS:
        return ()
    gain = REPLAYGAIN_REFERENCE_LUFS - loudness["integrated"]
    peak = 10 ** (loudness["true_peak"] / 20) if loudness.get("true_peak") is not None else 0.0
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


def original_tags(tags: Tags) -> dict[str, list[str]]:
    """The original's text tags as the recording keeps them (its pictures stay in the MP3 only)."""
    return {name: list(values) for name, values in tags.text[:64]}


def tag_bytes(recording: Recording, pictures: tuple[Picture, ...] = ()) -> bytes:
    return id3_tag(tags_for(recording, pictures))


class Mp3Tagger:
    """Rewrites a ready recording's MP3 tag when the recording no longer matches it."""

    def __init__(self, store: RecordingStore, storage: AudioStorage) -> None:
        self.store = store
        self.storage = storage

    def sync(self, recording: Recording) -> Recording | None:
        """Bring the MP3's tag in line with the recording, and again if the recording changed meanwhile (two edits
        racing: whichever tag goes last, it is checked against the recording as it is then). Returns the recording
        as it is now; None if it is gone."""
        current: Recording | None = recording
        for _ in range(_SYNC_ROUNDS):
            if current is None or current.status != "ready" or not current.source_etag or not current.mp3:
                return current
            size = self._rewrite(current)
            etag = current.source_etag
            if size is not None and size != current.mp3.get("size"):
                try:
                    current = self.store.modify(current, lambda now: {"mp3": {**now.mp3, "size": size}}
                                                if now.source_etag == etag and now.mp3 else None)
                except RecordingGone:
                    return None
            latest = self.store.get(current.id)
            if latest is None or tags_for(latest) == tags_for(current):
                return latest
            current = latest
        return current

    def _rewrite(self, recording: Recording) -> int | None:
        """The MP3's new size if its tag was rewritten; None if it already said the right thing (or is gone)."""
        key = mp3_key(recording.id, recording.source_etag or "")
        header = self.storage.read_range(key, 0, 10)
        if header is None:
            return None
        length = tag_size(header)
        current = (self.storage.read_range(key, 0, length) or b"") if length else b""
        wanted = tag_bytes(recording, read_tag(current).pictures)
        if wanted == current:
            return None
        log.info("retagging %s (%d → %d tag bytes)", recording.id, length, len(wanted))
        return self.storage.replace_prefix(key, length, wanted, "audio/mpeg")
