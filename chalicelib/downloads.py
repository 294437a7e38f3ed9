"""What a download of a recording serves: the stored file of the rendition asked for (the MP3, or the original as
uploaded) with the name and type it is served under, or NotReady (409) while there is none yet."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.audio.sniff import format_named
from chalicelib.errors import NotFound, NotReady
from chalicelib.recording import Recording
from chalicelib.storage import download_name, mp3_key, original_key


@dataclass(frozen=True)
class AudioFile:
    """One stored rendition of a recording, as a download offers it."""

    key: str
    filename: str
    content_type: str
    size: int | None


def audio_file(recording: Recording, audio_format: str = "mp3") -> AudioFile:
    """The stored file a download of `recording` serves, or NotReady (409) with the status while there is none."""
    if audio_format == "original":
        if recording.status == "awaiting_upload":
            raise NotReady("the file has not been uploaded yet", status=recording.status, retry_after=5)
        sniffed = format_named(recording.original.get("format"))
        if sniffed is None:  # only a file sniffed as audio is ever served: not checked yet, or not audio
            if recording.status == "processing":
                raise NotReady("the file is still being checked", status=recording.status, retry_after=2)
            raise NotFound("the uploaded file was not audio and was deleted")
        return AudioFile(
            original_key(recording.id),
            download_name(recording.name, sniffed.extension),
            sniffed.content_type,
            recording.original.get("size"),
        )
    if recording.status != "ready":
        if recording.status == "failed":
            raise NotReady(
                f"the conversion failed: {recording.error}; the original is still available", status="failed"
            )
        raise NotReady("the MP3 is not ready yet, try again shortly", status=recording.status, retry_after=2)
    return AudioFile(
        mp3_key(recording.id, recording.source_etag or ""),
        download_name(recording.name, ".mp3"),
        "audio/mpeg",
        recording.mp3.get("size") if recording.mp3 else None,
    )
