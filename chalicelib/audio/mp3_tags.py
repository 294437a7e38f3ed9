"""An MP3's ID3v2.4 tag, written and read with mutagen (the tag library the project already uses to sniff uploads;
hand-writing ID3's frames, encodings and sync-safe sizes would only repeat it). Pure: bytes in, bytes out.

Text is kept under ffmpeg's generic names ("title", "artist", "album", "date", ...), which is how ffmpeg reports
the tags of any container it reads (WAV LIST/INFO and id3 chunks, FLAC/Vorbis comments, M4A atoms); a name with no
ID3 frame of its own travels as a TXXX frame of that name, as ffmpeg itself writes it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from collections.abc import Iterable

# Generic name → ID3v2.4 text frame (the frames ffmpeg's ID3 writer and reader use for them).
TEXT_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "album_artist": "TPE2",
    "genre": "TCON",
    "date": "TDRC",
    "track": "TRCK",
    "disc": "TPOS",
    "composer": "TCOM",
    "copyright": "TCOP",
    "publisher": "TPUB",
    "language": "TLAN",
    "lyricist": "TEXT",
    "encoded_by": "TENC",
    "grouping": "TIT1",
    "subtitle": "TIT3",
    "isrc": "TSRC",
    "bpm": "TBPM",
    "conductor": "TPE3",
    "remixer": "TPE4",
    "album_sort": "TSOA",
    "artist_sort": "TSOP",
    "title_sort": "TSOT",
    "original_date": "TDOR",
    "mood": "TMOO",
    "media": "TMED",
}
_NAME_OF_FRAME = {frame: name for name, frame in TEXT_FRAMES.items()}
# What says nothing about the audio: the software that wrote a file, and ReplayGain figures of another encode.
_NOT_CARRIED = {
    "TSSE",
    "encoder",
    "replaygain_track_gain",
    "replaygain_track_peak",
    "replaygain_album_gain",
    "replaygain_album_peak",
    "itunnorm",
    "itunsmpb",
}
_MAX_VALUE = 2000  # characters kept of one value: tags are labels, not documents


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str
    type: int = 3  # ID3's "Cover (front)"
    description: str = ""


@dataclass(frozen=True)
class Tags:
    """What an ID3 tag says, as plain values: comparable, so an unchanged tag is not written again."""

    text: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (generic name, values), in the order written
    people: tuple[tuple[str, str], ...] = ()  # TIPL, the involved people list: (role, name)
    pictures: tuple[Picture, ...] = ()


def id3_tag(tags: Tags) -> bytes:
    """The ID3v2.4 tag (header included, no padding) that says `tags`."""
    from mutagen.id3 import APIC, COMM, ID3, TIPL, TXXX, Encoding, Frames  # not on the API's cold start

    tag = ID3()
    for name, given in tags.text:
        values = [value for value in given if value]
        if not values:
            continue
        if name == "comment":
            tag.add(COMM(encoding=Encoding.UTF8, lang="eng", desc="", text=values))
        elif name in TEXT_FRAMES:
            tag.add(Frames[TEXT_FRAMES[name]](encoding=Encoding.UTF8, text=values))
        else:
            tag.add(TXXX(encoding=Encoding.UTF8, desc=name, text=values))
    if tags.people:
        tag.add(TIPL(encoding=Encoding.UTF8, people=[list(pair) for pair in tags.people]))
    for number, picture in enumerate(tags.pictures):
        # APIC frames are told apart by their description: a second picture needs one of its own.
        description = picture.description or ("" if number == 0 else f"picture {number + 1}")
        tag.add(APIC(encoding=Encoding.UTF8, mime=picture.mime, type=picture.type, desc=description, data=picture.data))
    out = io.BytesIO()
    tag.save(out, v2_version=4, padding=lambda info: 0)
    return out.getvalue()


def read_tag(data: bytes) -> Tags:
    """The tag at the start of `data` (an ID3v2 tag, whole), as plain values; empty Tags if there is none."""
    from mutagen.id3 import APIC, COMM, ID3, TXXX, ID3NoHeaderError

    try:
        tag = ID3(io.BytesIO(data))
    except ID3NoHeaderError:
        return Tags()
    text: dict[str, list[str]] = {}
    pictures = []
    for frame in tag.values():
        if isinstance(frame, APIC):
            pictures.append(Picture(bytes(frame.data), frame.mime or "image/jpeg", int(frame.type), frame.desc))
            continue
        if isinstance(frame, TXXX):
            name = frame.desc
        elif isinstance(frame, COMM):
            name = "comment" if not frame.desc else frame.desc
        elif frame.FrameID in _NAME_OF_FRAME:
            name = _NAME_OF_FRAME[frame.FrameID]
        else:
            continue  # frames that are not text (private data, chapters, …) are not carried over
        if name in _NOT_CARRIED or name.lower() in _NOT_CARRIED:
            continue
        values = [str(value)[:_MAX_VALUE] for value in getattr(frame, "text", []) if str(value).strip()]
        if values:
            text.setdefault(name, []).extend(values)
    return Tags(text=tuple((name, tuple(values)) for name, values in text.items()), pictures=tuple(pictures))


def tag_size(header: bytes) -> int:
    """How many bytes the ID3v2 tag that `header` (an object's first 10 bytes) starts takes; 0 if it is none."""
    if len(header) < 10 or header[:3] != b"ID3":
        return 0
    size = (header[6] & 0x7F) << 21 | (header[7] & 0x7F) << 14 | (header[8] & 0x7F) << 7 | (header[9] & 0x7F)
    return 10 + size + (10 if header[5] & 0x10 else 0)  # the footer flag adds a copy of the header


def merged(*sources: Iterable[tuple[str, tuple[str, ...]]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Text from several sources, the first that has a name winning it."""
    seen: dict[str, tuple[str, ...]] = {}
    for source in sources:
        for name, values in source:
            if name not in seen and any(values):
                seen[name] = values
    return tuple(seen.items())
