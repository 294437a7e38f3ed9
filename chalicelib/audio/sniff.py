"""Is this file audio? Decided by parsing its header with mutagen, never by its name or Content-Type, and what it is
decides how ffmpeg may read it.

Every original is sniffed before anything decodes it, however it arrived: a direct upload's body here, a file sent
through an upload link in the converter (through a seekable reader of the object, so mutagen reads only the headers
it needs). The format found names the one ffmpeg demuxer allowed to read the file (`-f`): ffmpeg left to probe would
also take an HLS playlist or a concat list and fetch every URL it names. Playlists, concat lists and anything else
that names another resource are simply not among the formats here.

This is the cheap check; the converter's full decode is the final word (a truncated file passes here and converts
what is there; a file whose frames are garbage fails there with a reason).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.audio.riff import chunks

_HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class AudioFormat:
    name: str  # as the API shows it: original.format
    content_type: str
    extension: str  # what a download of the original is named with
    demuxer: str  # the only ffmpeg demuxer that may read it


# mutagen's file types that ffmpeg decodes -> the format
_FORMATS = {
    "WAVE": AudioFormat("wav", "audio/wav", ".wav", "wav"),
    "MP3": AudioFormat("mp3", "audio/mpeg", ".mp3", "mp3"),
    "EasyMP3": AudioFormat("mp3", "audio/mpeg", ".mp3", "mp3"),
    "FLAC": AudioFormat("flac", "audio/flac", ".flac", "flac"),
    "OggVorbis": AudioFormat("ogg", "audio/ogg", ".ogg", "ogg"),
    "OggOpus": AudioFormat("ogg", "audio/ogg", ".opus", "ogg"),
    "OggFLAC": AudioFormat("ogg", "audio/ogg", ".oga", "ogg"),
    "OggSpeex": AudioFormat("ogg", "audio/ogg", ".spx", "ogg"),
    "MP4": AudioFormat("mp4", "audio/mp4", ".m4a", "mov"),
    "EasyMP4": AudioFormat("mp4", "audio/mp4", ".m4a", "mov"),
    "AIFF": AudioFormat("aiff", "audio/aiff", ".aiff", "aiff"),
    "ASF": AudioFormat("asf", "audio/x-ms-wma", ".wma", "asf"),
    "WavPack": AudioFormat("wavpack", "audio/wavpack", ".wv", "wv"),
    "MonkeysAudio": AudioFormat("ape", "audio/ape", ".ape", "ape"),
    "TrueAudio": AudioFormat("tta", "audio/tta", ".tta", "tta"),
}
_BY_NAME = {audio_format.name: audio_format for audio_format in reversed(list(_FORMATS.values()))}
NOT_AUDIO = "not an audio file we can read"


def format_named(name: str | None) -> AudioFormat | None:
    """The format of a sniffed name (`original.format`); None for a name no sniff gives."""
    return _BY_NAME.get(name or "")


def content_type_for(audio_format: str) -> str:
    """The canonical content type of a format name (as `identify_audio` names formats)."""
    known = format_named(audio_format)
    return known.content_type if known else "application/octet-stream"


@dataclass(frozen=True)
class AudioKind:
    format: str
    content_type: str
    demuxer: str = ""


class UnreadableAudio(Exception):
    """`reason` says why, in words fit for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def identify_audio(data: bytes) -> AudioKind:
    """What the bytes of a whole file are, or UnreadableAudio."""
    return identify_stream(io.BytesIO(data), len(data))


def identify_stream(file: BinaryIO, size: int) -> AudioKind:
    """What the seekable `file` of `size` bytes is, reading only its headers; or UnreadableAudio."""
    import mutagen

    if size <= 0:
        raise UnreadableAudio("the body is empty")
    try:
        parsed = mutagen.File(file)
    except Exception as error:  # mutagen raises its own and struct/IO errors on garbage; all mean "not audio"
        raise UnreadableAudio(f"not a readable audio file ({error})") from None
    if parsed is None or type(parsed).__name__ not in _FORMATS:
        raise UnreadableAudio("not a supported audio file (WAV, MP3, FLAC, OGG, M4A, AIFF...)")
    found = _FORMATS[type(parsed).__name__]
    if found.name == "wav":
        file.seek(0)
        if not _wav_has_sample_bytes(file.read(_HEAD_BYTES), size):
            raise UnreadableAudio("the file contains no audio samples")
    return AudioKind(format=found.name, content_type=found.content_type, demuxer=found.demuxer)


def _wav_has_sample_bytes(head: bytes, size: int) -> bool:
    """Whether the data chunk is there and not empty. mutagen's length cannot tell: it reads 0 both for an empty
    data chunk and for one whose header claims more bytes than the file has (a truncated file, which we accept)."""
    for chunk_id, body, declared in chunks(head):
        if chunk_id == b"data":
            return declared > 0 and size > body
    return len(head) < size  # the data chunk lies past the head (a large tag chunk before it): mutagen found it
