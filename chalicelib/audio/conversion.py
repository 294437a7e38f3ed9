"""What a conversion gives back, and the ways it can fail. Values only: no process, no AWS.

How it ends decides what happens to the recording: a source that cannot be decoded is a `ConversionError` (the
recording fails for good); an ffmpeg that died or was told to stop (OOM killer, a worker shutting down) is a
`ConversionInterrupted`, which the pipeline lets through so SQS delivers the message again.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.audio.ffmpeg_log import Loudness, SourceInfo
from chalicelib.audio.mp3_tags import Tags


@dataclass(frozen=True)
class Conversion:
    source: SourceInfo
    duration: float
    mp3_size: int  # the MP3's audio: its Info frame and audio frames (no tag)
    mp3_bitrate_kbps: int  # as encoded: below the one asked for where the sample rate caps it (64 at 8-12 kHz)
    mp3_sample_rate: int
    peaks: list[float]
    head: bytes  # the MP3's first `held_bytes` (16 KiB at least; all of it, if shorter), final: with the Info frame
    source_tags: Tags  # the original's tags and cover pictures
    loudness: Loudness | None
    segments: int = 1  # how many encoders wrote it at once


class ConversionError(Exception):
    """The source was read but is not audio we can convert. `reason` is fit to show to its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceUnavailable(Exception):
    """The source could not be read at all (gone, or the network failed): a retry may succeed."""


class TooLong(ConversionError):
    """The audio goes on past `max_seconds` (decoding stopped there)."""

    def __init__(self, reason: str, limit: float) -> None:
        super().__init__(reason)
        self.limit = limit


class TooSlow(ConversionError):
    """The conversion went on past its wall-clock limit (and was stopped there)."""


class SegmentsFailed(Exception):
    """The segments encoded at once did not join into one stream. Not expected (the join is checked against a single
    encode in the tests); nothing written can be kept, and the file is converted again in one pass."""


class ConversionInterrupted(Exception):
    """ffmpeg did not finish: it was killed by a signal (the OOM killer, SIGKILL) or stopped early on SIGTERM/SIGINT
    (a worker shutting down, Ctrl-C). Nothing is known to be wrong with the source, and a retry may succeed.

    Deliberately not a `ConversionError`: that one marks the recording `failed` for good."""
