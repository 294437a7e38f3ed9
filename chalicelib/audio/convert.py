"""Convert any audio ffmpeg decodes to MP3 in one streaming pass, measuring the original on the way.

Pure audio core: it knows a source (a local path or an http(s) URL that ffmpeg reads, with range requests where a
container needs to seek) and a `write` callable that receives the MP3 in chunks. It knows nothing of S3 or DynamoDB.

One ffmpeg process does everything:
- its demuxer/decoder reports the original's stream (codec, rate, channels, sample format), tags and cover on stderr;
- `-progress` reports `out_time_us`, the duration of the audio that was actually decoded and encoded. A truncated
  WAV reports what is there, not what its header claims; a file with no samples reports nothing;
- the MP3 goes to a temporary file that is read as it grows and handed on in chunks (memory stays flat whatever the
  length). A file, not a pipe, because ffmpeg's MP3 muxer goes back to the start when the encode ends to fill in
  the Info frame with the LAME tag (frame and byte counts, a seek table, the encoder delay and padding) — what
  makes its length exact and gapless. The caller is handed everything after the first `held_bytes` as it comes,
  and those first bytes, final, at the end (an S3 multipart upload takes its first part last);
- the source's tags arrive as ffmpeg's own ID3 tag at the head of that file, whatever container they came in;
- a second output, low-rate 8-bit mono PCM on its own pipe, feeds the waveform peaks (audio/peaks.py), from a filter
  graph that also measures the full-rate audio's loudness and true peak (ffmpeg_log.MEASURE_GRAPH; a graph of its
  own, so ffmpeg 7 runs it on another core alongside the encoder).

The pass, run to its end, is audio/encode_pass.py's; its ffmpeg command audio/ffmpeg_command.py's; the threads that
watch it audio/ffmpeg_watch.py's; how its end is told, audio/ffmpeg_failure.py's; what comes back and the errors,
audio/conversion.py's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

from mutagen.mp3 import MP3, HeaderNotFoundError

from chalicelib.audio.conversion import (
    Conversion,
    ConversionError,
    ConversionInterrupted,
    SegmentsFailed,
    SourceUnavailable,
    TooLong,
    TooSlow,
)
from chalicelib.audio.cover import cover_picture
from chalicelib.audio.encode_pass import Ended, Pass, run_pass
from chalicelib.audio.ffmpeg_command import network_options, protocols
from chalicelib.audio.ffmpeg_failure import failure
from chalicelib.audio.ffmpeg_log import loudness, source_info
from chalicelib.audio.mp3_tags import Tags, read_tag
from chalicelib.audio.peaks import downsample
from chalicelib.audio.segments import Segment, plan
from chalicelib.audio.source_layout import SourceLayout, read_layout

__all__ = [
    "CHUNK_BYTES",
    "Conversion",
    "ConversionError",
    "ConversionInterrupted",
    "SegmentsFailed",
    "SourceUnavailable",
    "TooLong",
    "TooSlow",
    "convert_to_mp3",
]

CHUNK_BYTES = 1 << 20
_FIRST_FRAMES_BYTES = 1 << 14  # the MP3's Info frame and a few frames after it: always held


def convert_to_mp3(
    source: str,
    write: Callable[[bytes], None],
    *,
    bitrate_kbps: int = 128,
    max_seconds: float | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    source_headers: Mapping[str, str] | None = None,
    max_channel_samples: int | None = None,
    held_bytes: int = 0,
    segments: int = 1,
    parallel_from_seconds: float = 0.0,
    reservoir: bool = True,
    demuxer: str | None = None,
    max_wall_seconds: float | None = None,
) -> Conversion:
    """`write` receives the MP3's audio after its first `held_bytes` (at least the Info frame's, which ffmpeg
    fills in last) while it is encoded; `Conversion.head` holds those first bytes at the end. `source_headers` go
    with every HTTP request for the source (an `If-Match` pins one version of it: a source replaced mid-read then
    fails as unavailable instead of mixing two files). `max_channel_samples` bounds the work by what the source
    holds (seconds × rate × channels): a 192 kHz 8-channel file costs far more per second than a 48 kHz stereo one,
    and decoding stops where the budget ends (TooLong).

    With `segments` > 1, a WAV, FLAC or MP3 (audio/source_layout.py) at least `parallel_from_seconds` long is
    encoded by that many encoders at once and joined (audio/segments.py), with the bit reservoir off as joining
    needs; anything else in one pass, with the reservoir as `reservoir` says. `SegmentsFailed` (never expected: a
    join that does not add up) means nothing written can be kept: the caller starts again with `segments=1`.

    The source is hostile input: `demuxer` (the sniffed format's, audio/sniff.py) is the only demuxer that may read
    it, so a playlist or a concat list is never followed; ffmpeg may use only the protocols reading `source` itself
    needs; and `max_wall_seconds` ends a conversion that goes on too long (TooSlow), whatever keeps it busy."""
    layout, pieces = _segments(
        source, source_headers, segments, parallel_from_seconds, max_seconds, max_channel_samples
    )
    encode = Pass(
        source=source,
        headers=source_headers,
        network=network_options(source, source_headers),
        demuxer=demuxer,
        layout=layout,
        pieces=pieces,
        bitrate_kbps=bitrate_kbps,
        reservoir=reservoir and not pieces,
        max_seconds=max_seconds,
        max_channel_samples=max_channel_samples,
        max_wall_seconds=max_wall_seconds,
    )
    ended = run_pass(encode, write, max(held_bytes, _FIRST_FRAMES_BYTES), chunk_bytes)
    duration = _check(ended, encode)
    return _result(ended, encode, duration)


def _check(ended: Ended, encode: Pass) -> float:
    """Raise the error of a pass that failed, in the order that tells most; else the audio's duration, as decoded."""
    facts, output = ended.facts, ended.output
    if "over_budget" in facts:  # stopped by us, before anything else
        info = source_info(facts)
        allowed = float(facts["over_budget"])
        raise TooLong(
            f"the audio is longer than the {allowed:,.0f} seconds allowed at {info.sample_rate} Hz with "
            f"{info.channels} channels"
            if info
            else "the audio is too long",
            allowed,
        )
    if "timed_out" in facts:
        raise TooSlow(
            f"the conversion took longer than {float(facts['timed_out']):,.0f} seconds, the most a file "
            "within the length limit may take"
        )
    # The pass that reads the whole file first: how it ended is how the file is. Then the helpers'.
    if not output.stopped_first and (reason := failure(ended.returncode, ended.log, facts, encode.source)):
        raise ConversionError(f"ffmpeg could not convert this file: {reason}")
    for code, log in ended.helper_logs:
        if reason := failure(code, log, {}, encode.source):
            raise SegmentsFailed(f"a segment's encoder failed: {reason}")
    if output.join_failure is not None:
        raise SegmentsFailed(str(output.join_failure))
    if source_info(facts) is None:
        raise ConversionError("the file has no audio stream")
    out_time_us = facts.get("out_time_us", "")
    duration = int(out_time_us) / 1_000_000 if out_time_us.isdigit() else 0.0
    if duration <= 0 or output.size == 0:
        raise ConversionError("the file contains no audio samples")
    if encode.max_seconds is not None and duration > encode.max_seconds:
        raise TooLong(f"the audio is longer than the limit of {encode.max_seconds:g} seconds", encode.max_seconds)
    return duration


def _result(ended: Ended, encode: Pass, decoded_seconds: float) -> Conversion:
    """The finished conversion: the MP3's own figures from its Info frame, the source's tags and cover."""
    output = ended.output
    # The Info frame's LAME tag gives the length to the sample: its frames less the encoder delay and padding.
    # libmp3lame caps the bitrate by the sample rate (64 kbit/s at 8-12 kHz): what was encoded is reported.
    try:
        mp3 = MP3(io.BytesIO(output.head)).info
    except HeaderNotFoundError:
        raise ConversionError("the file contains no audio samples") from None
    duration = round(decoded_seconds, 6)  # ffmpeg's progress counts microseconds
    if mp3.encoder_info.startswith("LAME"):  # samples ÷ rate, the very float mutagen computes from the same tag
        duration = round(mp3.length * mp3.sample_rate) / mp3.sample_rate
    tags = read_tag(output.ffmpeg_tag)
    picture = cover_picture(encode.source, encode.headers, ended.facts, [*protocols(encode.source), *encode.lock])
    if picture is not None:
        tags = Tags(text=tags.text, pictures=(picture,))
    info = source_info(ended.facts)
    assert info is not None  # _check saw it
    return Conversion(
        source=info,
        duration=duration,
        mp3_size=output.size,
        mp3_bitrate_kbps=round(mp3.bitrate / 1000) or round(output.size * 8 / duration / 1000),
        mp3_sample_rate=mp3.sample_rate,
        peaks=downsample(ended.peaks),
        head=output.head,
        source_tags=tags,
        loudness=loudness(ended.facts),
        segments=max(len(encode.pieces), 1),
    )


def _segments(
    source: str,
    headers: Mapping[str, str] | None,
    count: int,
    from_seconds: float,
    max_seconds: float | None,
    max_channel_samples: int | None,
) -> tuple[SourceLayout | None, list[Segment]]:
    """The segments to encode at once, or none: one pass for a short source, one whose cuts cannot be exact
    (audio/source_layout.py), or one past a limit (the one pass stops where the limit is, and says so)."""
    if count < 2:
        return None, []
    layout = read_layout(source, headers)
    if layout is None:
        return None, []
    seconds = layout.samples / layout.sample_rate
    if (
        seconds < from_seconds
        or (max_seconds is not None and seconds > max_seconds)
        or (max_channel_samples and layout.samples * layout.channels > max_channel_samples)
    ):
        return None, []
    pieces = plan(layout.samples, layout.sample_rate, count, exact=layout.pcm is not None)
    return (layout, pieces) if len(pieces) > 1 else (None, [])
