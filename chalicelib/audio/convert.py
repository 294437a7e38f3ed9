"""Convert any audio ffmpeg decodes to MP3 in one streaming pass, measuring the original on the way.

Pure audio core: it knows a source (a local path or an http(s) URL that ffmpeg reads, with range requests where a
container needs to seek) and a `write` callable that receives the MP3 in chunks. It knows nothing of S3 or DynamoDB.

One ffmpeg process does everything:
- its demuxer/decoder reports the original's stream (codec, rate, channels, sample format) on stderr;
- `-progress` reports `out_time_us`, the duration of the audio that was actually decoded and encoded. A truncated
  WAV reports what is there, not what its header claims; a file with no samples reports nothing;
- the MP3 leaves through stdout in chunks, so memory stays flat whatever the length;
- a second output, low-rate 8-bit mono PCM on its own pipe, feeds the waveform peaks (audio/peaks.py).

How it ends decides what happens to the recording: a source that cannot be decoded is a `ConversionError` (the
recording fails for good); an ffmpeg that died or was told to stop (OOM killer, a worker shutting down) is a
`ConversionInterrupted`, which the pipeline lets through so SQS delivers the message again.
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import Callable, Deque, Mapping

from chalicelib.audio.ffmpeg import ffmpeg_binary
from chalicelib.audio.ffmpeg_log import INPUT_LINE, STREAM_LINE, SourceInfo, mp3_frame_bitrate_kbps, source_info
from chalicelib.audio.peaks import PEAKS_RATE, PeakMeter, downsample

CHUNK_BYTES = 1 << 20
_STDERR_LINES_KEPT = 200

_MP3_HEAD_BYTES = 1 << 16  # the MP3's first bytes: an ID3v2 tag of the original's tags, then a frame header
# ffmpeg's own words when the source could not be fetched (as opposed to fetched but not decodable).
_UNREACHABLE_MARKERS = (
    "Server returned", "Connection refused", "Connection timed out", "Failed to resolve", "Connection reset",
    "No such file or directory",
)
# ffmpeg traps SIGINT, SIGTERM and SIGXCPU: it stops reading, finishes its outputs and says so, then exits 255 — or 0
# when the signal came while it was still opening the input (observed with 7.0.2), so the exit code alone cannot
# tell. A fourth signal makes it exit 123 at once with the second message.
_SIGNAL_EXIT_RE = re.compile(r"^Exiting normally, received signal (\d+)\.")
_HARD_EXIT = "Received > 3 system signals, hard exiting"


@dataclass(frozen=True)
class Conversion:
    source: SourceInfo
    duration: float
    mp3_size: int
    mp3_bitrate_kbps: int  # as encoded: below the one asked for where the sample rate caps it (64 at 8-12 kHz)
    peaks: list[float]


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


class ConversionInterrupted(Exception):
    """ffmpeg did not finish: it was killed by a signal (the OOM killer, SIGKILL) or stopped early on SIGTERM/SIGINT
    (a worker shutting down, Ctrl-C). Nothing is known to be wrong with the source, and a retry may succeed.

    Deliberately not a `ConversionError`: that one marks the recording `failed` for good."""


def convert_to_mp3(
    source: str,
    write: Callable[[bytes], None],
    *,
    bitrate_kbps: int = 128,
    max_seconds: float | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    source_headers: Mapping[str, str] | None = None,
    max_channel_samples: int | None = None,
) -> Conversion:
    """`source_headers` go with every HTTP request for the source (an `If-Match` pins one version of it: a source
    replaced mid-read then fails as unavailable instead of mixing two files). `max_channel_samples` bounds the work
    by what the source holds (seconds × rate × channels): a 192 kHz 8-channel file costs far more per second than a
    48 kHz stereo one, and decoding stops where the budget ends (TooLong)."""
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-progress", "pipe:2"]
    if source.startswith(("http://", "https://")):
        command += ["-reconnect", "1", "-reconnect_on_network_error", "1", "-reconnect_delay_max", "4"]
        if source_headers:
            command += ["-headers", "".join(f"{name}: {value}\r\n" for name, value in source_headers.items())]
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
    readers = [threading.Thread(target=_read_stderr, args=(process, stderr_lines, facts, max_channel_samples),
                                daemon=True),
               threading.Thread(target=_read_peaks, args=(peaks_read, meter), daemon=True)]
    for reader in readers:
        reader.start()
    size = 0
    head = bytearray()  # the MP3's first bytes, for its frame header
    try:
        assert process.stdout is not None
        while chunk := process.stdout.read(chunk_bytes):
            write(chunk)
            size += len(chunk)
            if len(head) < _MP3_HEAD_BYTES:
                head += chunk[: _MP3_HEAD_BYTES - len(head)]
    except BaseException:
        process.kill()
        raise
    finally:
        returncode = process.wait()
        for reader in readers:
            reader.join()

    if "over_budget" in facts:  # stopped by us, before anything else
        info = source_info(facts)
        allowed = float(facts["over_budget"])
        raise TooLong(f"the audio is longer than the {allowed:,.0f} seconds allowed at {info.sample_rate} Hz with "
                      f"{info.channels} channels" if info else "the audio is too long", allowed)
    interruption = _interruption(returncode, facts)
    if interruption is not None:  # before anything else: what it wrote, or failed to open, is only a part
        raise ConversionInterrupted(interruption)
    log = [line.replace(source, "<input>") for line in stderr_lines]
    if returncode != 0:
        reason = _failure_reason(log)
        if any(marker in reason for marker in _UNREACHABLE_MARKERS):
            raise SourceUnavailable(reason)
        raise ConversionError(f"ffmpeg could not convert this file: {reason}")
    info = source_info(facts)
    if info is None:
        raise ConversionError("the file has no audio stream")
    out_time_us = facts.get("out_time_us", "")
    duration = int(out_time_us) / 1_000_000 if out_time_us.isdigit() else 0.0
    if duration <= 0 or size == 0:
        raise ConversionError("the file contains no audio samples")
    if max_seconds is not None and duration > max_seconds:
        raise TooLong(f"the audio is longer than the limit of {max_seconds:g} seconds", max_seconds)
    # libmp3lame caps the bitrate by the sample rate (64 kbit/s at 8-12 kHz): report what was encoded. Should the
    # header not be found, the average over the whole file is the next best measure.
    encoded_kbps = mp3_frame_bitrate_kbps(bytes(head)) or round(size * 8 / duration / 1000)
    return Conversion(source=info, duration=round(duration, 6), mp3_size=size, mp3_bitrate_kbps=encoded_kbps,
                      peaks=downsample(meter.finish()))


def _interruption(returncode: int, facts: dict[str, str]) -> str | None:
    """Why ffmpeg did not finish, if a signal stopped it; None if it ran its course (successfully or not)."""
    if returncode < 0:
        return f"ffmpeg was killed by {_signal_name(-returncode)}"
    if "signal" in facts:
        received = facts["signal"]
        return f"ffmpeg stopped early on {_signal_name(int(received)) if received else 'repeated signals'}"
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _read_peaks(fd: int, meter: PeakMeter) -> None:
    # Buffered, so each read waits for a whole 64 KiB (8 s of audio) rather than handing the meter ffmpeg's
    # 1 KiB packets one by one.
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            meter.feed(chunk)


def _read_stderr(process: subprocess.Popen[bytes], lines: Deque[str], facts: dict[str, str],
                 max_channel_samples: int | None) -> None:
    """Drain stderr (so ffmpeg never blocks on it), keeping the tail and the facts we parse; stop ffmpeg once the
    audio decoded passes `max_channel_samples`."""
    assert process.stderr is not None
    for raw in process.stderr:
        line = raw.decode("utf-8", "replace").rstrip()
        key, sep, value = line.partition("=")
        if sep and key in ("out_time_us", "progress", "total_size"):
            facts[key] = value
            if key == "out_time_us" and max_channel_samples and "over_budget" not in facts and value.isdigit():
                info = source_info(facts)
                if info and info.channels:
                    allowed = max_channel_samples / (info.sample_rate * info.channels)
                    if int(value) / 1_000_000 > allowed:
                        facts["over_budget"] = str(allowed)
                        process.kill()
            continue
        if match := _SIGNAL_EXIT_RE.match(line):
            facts["signal"] = match.group(1)  # kept here, where the 200-line tail cannot push it out
        elif line.startswith(_HARD_EXIT):
            facts.setdefault("signal", "")
        if "format" not in facts and (match := INPUT_LINE.match(line)):
            facts["format"] = match.group(1)
        elif "stream" not in facts and STREAM_LINE.search(line):
            facts["stream"] = line  # the first audio stream printed is the input's; the output's comes later
        lines.append(line)


def _failure_reason(log: list[str]) -> str:
    meaningful = [line.strip() for line in log if line.strip() and not line.startswith((" ", "Input #", "Stream"))]
    return meaningful[-1] if meaningful else "unknown error"
