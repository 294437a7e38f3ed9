"""Convert any audio ffmpeg decodes to MP3 in one streaming pass, measuring the original on the way.

Pure audio core: it knows a source (a local path or an http(s) URL that ffmpeg reads, with range requests where a
container needs to seek) and a `write` callable that receives the MP3 in chunks. It knows nothing of S3 or DynamoDB.

One ffmpeg process does everything:
- its demuxer/decoder reports the original's stream (codec, rate, channels, sample format) on stderr;
- `-progress` reports `out_time_us`, the duration of the audio that was actually decoded and encoded. A truncated
  WAV reports what is there, not what its header claims; a file with no samples reports nothing;
- the MP3 leaves through stdout in chunks, so memory stays flat whatever the length;
- a second output, low-rate 8-bit mono PCM on its own pipe, feeds the waveform peaks (audio/peaks.py).
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from typing import Callable, Deque

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.peaks import PEAKS_RATE, PeakMeter, downsample

CHUNK_BYTES = 1 << 20
_STDERR_LINES_KEPT = 200

_INPUT_RE = re.compile(r"^Input #0, ([^,]+(?:,[^ ,]+)*), from ")
_STREAM_RE = re.compile(
    r"Stream #0:\d+.*?: Audio: (?P<codec>\w+)[^,]*, (?P<rate>\d+) Hz, (?P<layout>[^,]+), "
    r"(?P<fmt>\w+)(?: \((?P<bits>\d+) bit\))?"
)
_NAMED_LAYOUTS = {
    "mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6, "octagonal": 8, "cube": 8,
    "hexadecagonal": 16,
}
_SAMPLE_FORMAT_BITS = {"u8": 8, "s16": 16, "s32": 32, "flt": 32, "s64": 64, "dbl": 64}
_LOSSLESS_CODECS = {"flac", "alac", "wavpack", "tta", "ape", "truehd", "mlp"}
# ffmpeg's own words when the source could not be fetched (as opposed to fetched but not decodable).
_UNREACHABLE_MARKERS = (
    "Server returned", "Connection refused", "Connection timed out", "Failed to resolve", "Connection reset",
    "No such file or directory",
)


@dataclass(frozen=True)
class SourceInfo:
    """The original's first audio stream, as ffmpeg decodes it."""

    format: str
    codec: str
    sample_rate: int
    channels: int | None
    bits_per_sample: int | None


@dataclass(frozen=True)
class Conversion:
    source: SourceInfo
    duration: float
    mp3_size: int
    mp3_bitrate_kbps: int
    peaks: list[float]


class ConversionError(Exception):
    """The source was read but is not audio we can convert. `reason` is fit to show to its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceUnavailable(Exception):
    """The source could not be read at all (gone, or the network failed): a retry may succeed."""


def convert_to_mp3(
    source: str,
    write: Callable[[bytes], None],
    *,
    bitrate_kbps: int = 128,
    max_seconds: float | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Conversion:
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-progress", "pipe:2"]
    if source.startswith(("http://", "https://")):
        command += ["-reconnect", "1", "-reconnect_on_network_error", "1", "-reconnect_delay_max", "4"]
    limit = ["-t", f"{max_seconds + 1:.3f}"] if max_seconds is not None else []
    peaks_read, peaks_write = os.pipe()
    # -flush_packets 0: ffmpeg fills its 32 KiB output buffer before each write to a pipe, instead of one write per
    # packet (418 bytes of MP3): a hundredth of the system calls and thread wake-ups on both sides.
    buffered = ["-flush_packets", "0"]
    command += ["-i", source,
                "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", *limit, *buffered,
                "-f", "mp3", "pipe:1",
                "-map", "0:a:0", "-ac", "1", "-ar", str(PEAKS_RATE), "-c:a", "pcm_u8", *limit, *buffered,
                "-f", "u8", f"pipe:{peaks_write}"]

    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, pass_fds=(peaks_write,))
    finally:
        os.close(peaks_write)
    stderr_lines: Deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
    facts: dict[str, str] = {}
    meter = PeakMeter()
    readers = [threading.Thread(target=_read_stderr, args=(process, stderr_lines, facts), daemon=True),
               threading.Thread(target=_read_peaks, args=(peaks_read, meter), daemon=True)]
    for reader in readers:
        reader.start()
    size = 0
    try:
        assert process.stdout is not None
        while chunk := process.stdout.read(chunk_bytes):
            write(chunk)
            size += len(chunk)
    except BaseException:
        process.kill()
        raise
    finally:
        returncode = process.wait()
        for reader in readers:
            reader.join()

    log = [line.replace(source, "<input>") for line in stderr_lines]
    if returncode != 0:
        reason = _failure_reason(log)
        if any(marker in reason for marker in _UNREACHABLE_MARKERS):
            raise SourceUnavailable(reason)
        raise ConversionError(f"ffmpeg could not convert this file: {reason}")
    info = _source_info(facts)
    if info is None:
        raise ConversionError("the file has no audio stream")
    out_time_us = facts.get("out_time_us", "")
    duration = int(out_time_us) / 1_000_000 if out_time_us.isdigit() else 0.0
    if duration <= 0 or size == 0:
        raise ConversionError("the file contains no audio samples")
    if max_seconds is not None and duration > max_seconds:
        raise ConversionError(f"the audio is longer than the limit of {max_seconds:g} seconds")
    return Conversion(source=info, duration=round(duration, 6), mp3_size=size, mp3_bitrate_kbps=bitrate_kbps,
                      peaks=downsample(meter.finish()))


def _read_peaks(fd: int, meter: PeakMeter) -> None:
    # Buffered, so each read waits for a whole 64 KiB (8 s of audio) rather than handing the meter ffmpeg's
    # 1 KiB packets one by one.
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            meter.feed(chunk)


def _read_stderr(process: subprocess.Popen[bytes], lines: Deque[str], facts: dict[str, str]) -> None:
    """Drain stderr (so ffmpeg never blocks on it), keeping the tail and the facts we parse."""
    assert process.stderr is not None
    for raw in process.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        key, sep, value = line.partition("=")
        if sep and key in ("out_time_us", "progress", "total_size"):
            facts[key] = value
            continue
        if "format" not in facts and (match := _INPUT_RE.match(line)):
            facts["format"] = match.group(1)
        elif "stream" not in facts and _STREAM_RE.search(line):
            facts["stream"] = line  # the first audio stream printed is the input's; the output's comes later
        lines.append(line)


def _source_info(facts: dict[str, str]) -> SourceInfo | None:
    match = _STREAM_RE.search(facts.get("stream", ""))
    if match is None:
        return None
    codec = match["codec"]
    return SourceInfo(
        format=_container_name(facts.get("format", "unknown")),
        codec=codec,
        sample_rate=int(match["rate"]),
        channels=channel_count(match["layout"]),
        bits_per_sample=_bits_per_sample(codec, match["fmt"], match["bits"]),
    )


def _container_name(demuxers: str) -> str:
    names = demuxers.split(",")
    return "mp4" if "mp4" in names else names[0]


def channel_count(layout: str) -> int | None:
    """ffmpeg's channel layout description ('stereo', '5.1(side)', '3 channels', '7.1.4') as a count."""
    layout = layout.strip()
    if match := re.match(r"(\d+) channels", layout):
        return int(match.group(1))
    base = layout.split("(")[0]
    if base in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[base]
    if re.fullmatch(r"\d+(\.\d+)+", base):
        return sum(int(part) for part in base.split("."))
    if "+" in layout:  # a custom layout, spelled out: '2 channels (FL+LFE)' is caught above, '(FL+FR+LFE)' here
        return layout.count("+") + 1
    return None


def _bits_per_sample(codec: str, sample_format: str, bits: str | None) -> int | None:
    if not (codec.startswith("pcm_") or codec in _LOSSLESS_CODECS):
        return None  # lossy codecs have no sample width of their own
    if bits:
        return int(bits)
    return _SAMPLE_FORMAT_BITS.get(sample_format.rstrip("p"))


def _failure_reason(log: list[str]) -> str:
    meaningful = [line.strip() for line in log if line.strip() and not line.startswith((" ", "Input #", "Stream"))]
    return meaningful[-1] if meaningful else "unknown error"
