"""Is this upload audio? Decided by parsing its header with mutagen, never by its name or Content-Type.

This is the cheap check at upload time; the converter's full decode is the final word (a truncated file passes
here and converts what is there; a file whose frames are garbage fails there with a reason).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from chalicelib.audio.riff import chunks

# mutagen's file types that ffmpeg decodes -> (format name, canonical content type)
_FORMATS = {
    "WAVE": ("wav", "audio/wav"),
    "MP3": ("mp3", "audio/mpeg"),
    "EasyMP3": ("mp3", "audio/mpeg"),
    "FLAC": ("flac", "audio/flac"),
    "OggVorbis": ("ogg", "audio/ogg"),
    "OggOpus": ("ogg", "audio/ogg"),
    "OggFLAC": ("ogg", "audio/ogg"),
    "OggSpeex": ("ogg", "audio/ogg"),
    "MP4": ("mp4", "audio/mp4"),
    "EasyMP4": ("mp4", "audio/mp4"),
    "AIFF": ("aiff", "audio/aiff"),
    "ASF": ("asf", "audio/x-ms-wma"),
    "WavPack": ("wavpack", "audio/wavpack"),
    "MonkeysAudio": ("ape", "audio/ape"),
    "TrueAudio": ("tta", "audio/tta"),
}


def content_type_for(audio_format: str) -> str:
    """The canonical content type of a format name (as `identify_audio` and the converter name formats)."""
    for known_format, content_type in _FORMATS.values():
        if known_format == audio_format:
            return content_type
    return "application/octet-stream"


@dataclass(frozen=True)
class AudioKind:
    format: str
    content_type: str


class UnreadableAudio(Exception):
    """`reason` says why, in words fit for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def identify_audio(data: bytes) -> AudioKind:
    import mutagen

    if not data:
        raise UnreadableAudio("the body is empty")
    try:
        parsed = mutagen.File(io.BytesIO(data))
    except Exception as error:  # mutagen raises its own and struct/IO errors on garbage; all mean "not audio"
        raise UnreadableAudio(f"not a readable audio file ({error})") from None
    if parsed is None or type(parsed).__name__ not in _FORMATS:
        raise UnreadableAudio("not a supported audio file (WAV, MP3, FLAC, OGG, M4A, AIFF...)")
    audio_format, content_type = _FORMATS[type(parsed).__name__]
    if audio_format == "wav" and not _wav_has_sample_bytes(data):
        raise UnreadableAudio("the file contains no audio samples")
    return AudioKind(format=audio_format, content_type=content_type)


def _wav_has_sample_bytes(data: bytes) -> bool:
    """Whether the data chunk is there and not empty. mutagen's length cannot tell: it reads 0 both for an empty
    data chunk and for one whose header claims more bytes than the file has (a truncated file, which we accept)."""
    for chunk_id, body, size in chunks(data):
        if chunk_id == b"data":
            return size > 0 and len(data) > body
    return False
